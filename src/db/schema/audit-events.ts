import { bigserial, index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { at } from "./columns.ts";

/**
 * Who did what: every admin action and every disclosure of case data to a contractor. Rows are
 * hash-chained (`hash` = SHA-256 over the previous row's hash and this row's content) so that an
 * edited or deleted row is detectable; the application never updates or deletes them.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
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
  },
  (t) => [index("audit_events_subject_idx").on(t.subject)],
);
