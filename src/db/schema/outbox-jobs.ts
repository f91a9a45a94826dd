import { sql } from "drizzle-orm";
import { bigint, bigserial, index, integer, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import type { ErrorCode } from "../../kernel/errors.ts";
import { at, createdAt, updatedAt } from "./columns.ts";

export type OutboxJobKind = "create_work_order" | "cancel_work_order" | "write_back" | "publish_photo";
/** `dead`: parked after a permanent failure or the retry horizon; `skipped`: an admin decided not to send it. */
export type OutboxJobState = "pending" | "running" | "done" | "dead" | "skipped";

/**
 * Work that calls an external system. Written in the same transaction as the state change that
 * needs it; claimed by workers with a lease so that a dead worker's jobs come back.
 */
export const outboxJobs = pgTable(
  "outbox_jobs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").$type<OutboxJobKind>().notNull(),
    /** One job per effect: `create:<ref>`, `cancel:<ref>`, `writeback:<linkId>`. */
    dedupeKey: text("dedupe_key").notNull(),
    linkId: bigint("link_id", { mode: "number" }).notNull(),
    caseId: text("case_id").notNull(),
    target: text("target").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    state: text("state").$type<OutboxJobState>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    runAt: at("run_at").notNull().defaultNow(),
    leaseOwner: text("lease_owner"),
    leaseUntil: at("lease_until"),
    lastErrorCode: text("last_error_code").$type<ErrorCode>(),
    lastError: text("last_error"),
    lastHttpStatus: integer("last_http_status"),
    /** Start of the retry horizon: reset when an admin or a re-drive re-arms the job. */
    firstAttemptAt: at("first_attempt_at"),
    finishedAt: at("finished_at"),
    /** An admin acknowledged this dead letter: silenced in alarms until `acknowledgedUntil`. */
    acknowledgedBy: text("acknowledged_by"),
    acknowledgeNote: text("acknowledge_note"),
    acknowledgedUntil: at("acknowledged_until"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("outbox_jobs_dedupe_key_uq").on(t.dedupeKey),
    index("outbox_jobs_due_idx").on(t.state, t.runAt),
    // The claim reads only these rows: partial, so they stay small however long the history grows.
    index("outbox_jobs_pending_idx").on(t.target, t.runAt, t.id).where(sql`state = 'pending'`),
    index("outbox_jobs_running_idx").on(t.leaseUntil).where(sql`state = 'running'`),
    index("outbox_jobs_link_idx").on(t.linkId),
  ],
);
