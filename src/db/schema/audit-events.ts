import { bigint, bigserial, index, jsonb, pgTable, smallint, text, uniqueIndex } from "drizzle-orm/pg-core";
import { at } from "./columns.ts";

/**
 * Who did what: every admin action and every disclosure of case data to a contractor. Rows are
 * hash-chained (`hash` = SHA-256 over the previous row's hash, `seq` and this row's content) and
 * numbered without gaps under the chain lock, so that an edited, inserted or deleted row is
 * detectable (`silta audit verify`). A trigger refuses UPDATE, DELETE and TRUNCATE.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** Position in the chain: 1, 2, 3, … without gaps, assigned under the chain lock. */
    seq: bigint("seq", { mode: "number" }).notNull(),
    at: at("at").notNull().defaultNow(),
    /** `admin:<name>`, `contractor:<target>`, `system`. */
    actor: text("actor").notNull(),
    /** e.g. `job.retry`, `job.replay`, `job.skip`, `job.acknowledge`, `quarantine.map`, `disclosure.work_order`. */
    action: text("action").notNull(),
    /** What it acted on: a job id, a case id, an external ref. */
    subject: text("subject").notNull(),
    /** Ids, field names and outcomes; never personal data. */
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    result: text("result").notNull(),
    prevHash: text("prev_hash"),
    hash: text("hash"),
    /** How `hash` was computed: null = before `seq` existed (content only), 2 = with seq and time. */
    hashVersion: smallint("hash_version"),
  },
  (t) => [index("audit_events_subject_idx").on(t.subject), uniqueIndex("audit_events_seq_uq").on(t.seq)],
);
