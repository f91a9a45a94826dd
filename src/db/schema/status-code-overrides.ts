import { bigserial, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import type { CanonicalStatus } from "../../kernel/status.ts";
import { createdAt } from "./columns.ts";

/**
 * Admin-made mappings for status codes the shipped tables in `mappings/status/` do not know:
 * an unknown code is quarantined (never guessed) until an admin maps it here. The shipped table
 * wins where both have the code; one override per (target, code).
 */
export const statusCodeOverrides = pgTable(
  "status_code_overrides",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    target: text("target").notNull(),
    /** The target's raw status code, as received. */
    code: text("code").notNull(),
    canonical: text("canonical").$type<CanonicalStatus>().notNull(),
    /** `admin:<fingerprint>` of whoever mapped it (the audit row has the rest). */
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("status_code_overrides_target_code_uq").on(t.target, t.code)],
);
