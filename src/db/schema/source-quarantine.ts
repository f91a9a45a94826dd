import { sql } from "drizzle-orm";
import { index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { at } from "./columns.ts";

export type QuarantineState = "open" | "resolved";

/**
 * Rows from the case system that Silta could not take in: unreadable (no id, a status that is
 * neither open nor closed, not an object) or refused by the database. One row per bad record,
 * keyed by its id, or by the hash of the row when it has none. Only the reason (field names and
 * database codes) and the row's hash are kept, never the row: it may hold personal data, and the
 * source still has it. A record that later reads well resolves its row.
 */
export const sourceQuarantine = pgTable(
  "source_quarantine",
  {
    /** `service_request_id`, or `row:<sha256>` for a row without a readable id. */
    key: text("key").primaryKey(),
    serviceRequestId: text("service_request_id"),
    reason: text("reason").notNull(),
    rowHash: text("row_hash"),
    state: text("state").$type<QuarantineState>().notNull().default("open"),
    timesSeen: integer("times_seen").notNull().default(1),
    firstSeenAt: at("first_seen_at").notNull().defaultNow(),
    lastSeenAt: at("last_seen_at").notNull().defaultNow(),
    resolvedAt: at("resolved_at"),
  },
  (t) => [index("source_quarantine_open_idx").on(t.lastSeenAt).where(sql`${t.state} = 'open'`)],
);
