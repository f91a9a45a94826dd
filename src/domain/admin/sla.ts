import { type CanonicalStatus, isTerminal } from "../../kernel/status.ts";
import type { TargetMapping } from "../../mappings/mappings.ts";

/** Where a work order stands against its completion term; `due_soon` is the late-answer warning. */
export type SlaState = "on_track" | "due_soon" | "overdue" | "met" | "missed" | "not_applicable";

/** The completion term and warning point of a service at a target (its own, else the target's). */
export function slaTerms(
  target: TargetMapping,
  serviceCode: string | null | undefined,
): { completeDays: number; warnDays: number } {
  const own = serviceCode ? target.sla.services?.[serviceCode] : undefined;
  const completeDays = own?.completeDays ?? target.sla.completeDays;
  const warnDays = own?.warnDays ?? (own ? undefined : target.sla.warnDays) ?? Math.max(completeDays / 2, completeDays - 2);
  return { completeDays, warnDays };
}

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
  serviceCode?: string | null,
): SlaView {
  if (!target) return { state: "not_applicable", dueAt: null, completeDays: null };
  const terms = slaTerms(target, serviceCode);
  const requested = requestedAt ? Date.parse(requestedAt) : Number.NaN;
  const start = Number.isNaN(requested) ? link.createdAt.getTime() : requested;
  const due = new Date(start + terms.completeDays * 86_400_000);
  const warnAt = start + terms.warnDays * 86_400_000;
  const base = { dueAt: due.toISOString(), completeDays: terms.completeDays };
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
  return { ...base, state: now > due ? "overdue" : now.getTime() > warnAt ? "due_soon" : "on_track" };
}
