import { sql } from "drizzle-orm";
import { bigint, bigserial, index, integer, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { at } from "./columns.ts";

export type FindingKind =
  | "missing_in_target"
  | "missing_in_source"
  | "status_differs"
  | "stale"
  | "write_back_missing"
  | "sla_breach"
  /** A late-answer warning: not finished `warnDays` after the report, the breach still ahead. */
  | "sla_warning"
  /** A case at the source that Silta never saw (found by the anti-entropy re-read; repaired by ingesting it). */
  | "missing_in_silta"
  /** A window of the source's list that stayed cut however it was read: cases in it may be unseen. */
  | "source_truncated";
export type FindingState = "open" | "resolved" | "acknowledged";

/**
 * Drift found by reconciliation between Silta's links, the targets and the case system. One
 * open finding per (kind, subject); it closes itself when a later run no longer sees the drift.
 * Detail holds ids, codes and statuses only.
 */
export const reconciliationFindings = pgTable(
  "reconciliation_findings",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").$type<FindingKind>().notNull(),
    /** What the finding is about: an external ref, or `<target>:<work order id>` for an order Silta does not know. */
    subject: text("subject").notNull(),
    linkId: bigint("link_id", { mode: "number" }),
    caseId: text("case_id"),
    target: text("target"),
    detail: jsonb("detail").$type<Record<string, string | number | boolean | null>>().notNull().default({}),
    suggestedAction: text("suggested_action").notNull(),
    /** Whether Silta may repair it without an admin (re-send, re-pull, re-post). */
    autoRepairable: text("auto_repairable").$type<"yes" | "no">().notNull().default("no"),
    state: text("state").$type<FindingState>().notNull().default("open"),
    repairAttempts: integer("repair_attempts").notNull().default(0),
    lastRepairAt: at("last_repair_at"),
    firstSeenAt: at("first_seen_at").notNull().defaultNow(),
    lastSeenAt: at("last_seen_at").notNull().defaultNow(),
    resolvedAt: at("resolved_at"),
    /** An admin's acknowledgement: who, why, and until when it stays silenced. */
    acknowledgedBy: text("acknowledged_by"),
    acknowledgeNote: text("acknowledge_note"),
    acknowledgedUntil: at("acknowledged_until"),
  },
  (t) => [
    uniqueIndex("reconciliation_findings_open_uq").on(t.kind, t.subject).where(sql`${t.state} <> 'resolved'`),
    index("reconciliation_findings_state_idx").on(t.state, t.kind),
  ],
);
