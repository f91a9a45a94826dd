import { bigserial, index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import type { ErrorCode } from "../../kernel/errors.ts";
import type { CanonicalStatus } from "../../kernel/status.ts";
import { cases } from "./cases.ts";
import { at, createdAt, updatedAt } from "./columns.ts";

export type LinkState = "pending" | "forwarded" | "parked" | "cancelled" | "rerouted";

/**
 * One case handed to one target: the desired and the confirmed state on each side.
 * At most one link per (case, target, round); a reopened case starts a new round.
 */
export const links = pgTable(
  "links",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    caseId: text("case_id")
      .notNull()
      .references(() => cases.id),
    target: text("target").notNull(),
    round: integer("round").notNull().default(1),
    /** Deterministic `<city>:<service_request_id>:<target>[:r<round>]`, the idempotency key of the create. */
    externalRef: text("external_ref").notNull(),
    workOrderId: text("work_order_id"),
    /** Delivery state: pending until the target confirmed the create; parked = dead-lettered. */
    state: text("state").$type<LinkState>().notNull().default("pending"),
    /** Desired state on the target's side: `open`, or `cancelled` when the city withdrew the case. */
    desired: text("desired").$type<"open" | "cancelled">().notNull().default("open"),
    /** Confirmed field status on the target's side (canonical) and the raw code it came as. */
    fieldStatus: text("field_status").$type<CanonicalStatus>().notNull().default("pending"),
    fieldStatusCode: text("field_status_code"),
    fieldStatusAt: at("field_status_at"),
    /** Confirmed state on the case system's side: the last canonical status written back. */
    writtenBackStatus: text("written_back_status").$type<CanonicalStatus>(),
    writtenBackAt: at("written_back_at"),
    parkedCode: text("parked_code").$type<ErrorCode>(),
    parkedReason: text("parked_reason"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("links_case_target_round_uq").on(t.caseId, t.target, t.round),
    uniqueIndex("links_external_ref_uq").on(t.externalRef),
    // With id last, reconciliation walks one target's links in one state page by page along the index.
    index("links_target_state_id_idx").on(t.target, t.state, t.id),
  ],
);
