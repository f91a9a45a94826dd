import { type DeliverySummary, runDueJobs } from "./delivery.ts";
import type { SiltaDeps } from "./deps.ts";
import { type ApplySummary, applyPendingFieldEvents } from "./field-status.ts";

export interface WorkSummary {
  events: ApplySummary;
  jobs: DeliverySummary;
}

/** One round of background work: apply received field events, then run due outbox jobs. */
export async function runWorkOnce(deps: SiltaDeps): Promise<WorkSummary> {
  const events = await applyPendingFieldEvents(deps);
  const jobs = await runDueJobs(deps);
  return { events, jobs };
}

/** True when a round found nothing to do. */
export function wasIdle(summary: WorkSummary): boolean {
  const e = summary.events;
  return summary.jobs.claimed === 0 && e.applied + e.stale + e.quarantined + e.unknown_work_order === 0;
}
