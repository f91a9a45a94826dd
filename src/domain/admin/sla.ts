import { type CanonicalStatus, isTerminal } from "../../kernel/status.ts";
import type { TargetMapping } from "../../mappings/mappings.ts";

/** Where a work order stands against the target's completion term. */
export type SlaState = "on_track" | "overdue" | "met" | "missed" | "not_applicable";

/** Finished field work that counts for the SLA (a cancellation or a hand-back does not). */
export const FINISHED_STATUSES: readonly CanonicalStatus[] = ["completed", "scheduled_later", "no_action", "interrupted"];

export interface SlaView {
  state: SlaState;
  /** When the work is due: the report time (or the link's creation) plus the target's completion days. */
  dueAt: string | null;
  completeDays: number | null;
}

/**
 * The SLA state of one link: due `completeDays` after the citizen's report (or after Silta took
 * the case, when the report time is unknown); met or missed once finished, overdue or on track
 * before. Cancelled and handed-back work has no SLA.
 */
export function slaFor(
  target: TargetMapping | undefined,
  link: { fieldStatus: CanonicalStatus; fieldStatusAt: Date | null; createdAt: Date; state: string },
  requestedAt: string | null | undefined,
  now: Date,
): SlaView {
  if (!target) return { state: "not_applicable", dueAt: null, completeDays: null };
  const requested = requestedAt ? Date.parse(requestedAt) : Number.NaN;
  const start = Number.isNaN(requested) ? link.createdAt.getTime() : requested;
  const due = new Date(start + target.sla.completeDays * 86_400_000);
  const base = { dueAt: due.toISOString(), completeDays: target.sla.completeDays };
  if (
    link.state === "cancelled" ||
    link.state === "rerouted" ||
    link.fieldStatus === "cancelled" ||
    link.fieldStatus === "wrong_contractor"
  ) {
    return { ...base, state: "not_applicable" };
  }
  if (isTerminal(link.fieldStatus)) {
    const finished = link.fieldStatusAt ?? now;
    return { ...base, state: finished <= due ? "met" : "missed" };
  }
  return { ...base, state: now > due ? "overdue" : "on_track" };
}
