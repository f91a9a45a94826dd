import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import type { CaseRecord } from "../../ports/case-system.ts";
import { at, createdAt, updatedAt } from "./columns.ts";

/**
 * The case snapshot as last read from the case system. This is Silta's citizen-data store:
 * the snapshot may hold personal data, which is why nothing else (ledger, logs, outbox) copies it.
 */
export const cases = pgTable(
  "cases",
  {
    /** Open311 `service_request_id`. */
    id: text("id").primaryKey(),
    serviceCode: text("service_code").notNull(),
    status: text("status").notNull(),
    deskStatus: text("desk_status"),
    worksStatus: text("works_status"),
    sourceUpdatedAt: at("source_updated_at"),
    snapshot: jsonb("snapshot").$type<CaseRecord>().notNull(),
    snapshotHash: text("snapshot_hash").notNull(),
    /** `routed` (has links) or `excluded` (with `dispositionReason`). */
    disposition: text("disposition").$type<"routed" | "excluded">().notNull(),
    dispositionReason: text("disposition_reason"),
    /**
     * The case this one duplicates (the case system said so, or a handler linked them): it shares
     * the parent's work order instead of getting its own, and gets the parent's field status.
     */
    duplicateOf: text("duplicate_of"),
    /** When retention (`src/domain/retention.ts`) emptied the snapshot of personal data and free text. */
    purgedAt: at("purged_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("cases_disposition_idx").on(t.disposition),
    index("cases_duplicate_of_idx").on(t.duplicateOf).where(sql`duplicate_of is not null`),
  ],
);
