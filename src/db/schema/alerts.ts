import { sql } from "drizzle-orm";
import { bigserial, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { at } from "./columns.ts";

export type AlertKind =
  | "target_down"
  | "target_degraded"
  | "target_paused"
  | "dead_letters"
  | "intake_stalled"
  | "reconciliation_findings"
  | "late_answers";
export type AlertLevel = "critical" | "warning" | "info";

/**
 * Operational alerts: one open row per condition (`key`, e.g. `target_down:stara`) while it
 * lasts; it is marked recovered when the condition is gone. Each is notified once when raised
 * and once when recovered (the `notified_*` times), and an admin may acknowledge it.
 */
export const alerts = pgTable(
  "alerts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    key: text("key").notNull(),
    kind: text("kind").$type<AlertKind>().notNull(),
    level: text("level").$type<AlertLevel>().notNull(),
    /** What it is about and what to do: ids, counts and codes only. */
    message: text("message").notNull(),
    state: text("state").$type<"open" | "recovered">().notNull().default("open"),
    raisedAt: at("raised_at").notNull().defaultNow(),
    recoveredAt: at("recovered_at"),
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: at("acknowledged_at"),
    /** When the raise and the recovery went out to the channels; null: not yet (or suppressed). */
    notifiedRaisedAt: at("notified_raised_at"),
    notifiedRecoveredAt: at("notified_recovered_at"),
  },
  (t) => [uniqueIndex("alerts_open_key_uq").on(t.key).where(sql`state = 'open'`), index("alerts_raised_idx").on(t.raisedAt)],
);
