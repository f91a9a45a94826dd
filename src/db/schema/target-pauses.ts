import { pgTable, text } from "drizzle-orm/pg-core";
import { at } from "./columns.ts";

/**
 * Targets an admin paused (planned maintenance, a contract change): while a row is here and its
 * `until` has not passed, the target's jobs are not claimed, so they wait without spending
 * attempts or their retry horizon. One row per paused target; resuming deletes it (the audit
 * trail keeps the history).
 */
export const targetPauses = pgTable("target_pauses", {
  target: text("target").primaryKey(),
  reason: text("reason").notNull(),
  /** `admin:<fingerprint>` of whoever paused it. */
  pausedBy: text("paused_by").notNull(),
  pausedAt: at("paused_at").notNull().defaultNow(),
  /** The pause ends by itself at this instant; null: until someone resumes it. */
  until: at("until"),
});
