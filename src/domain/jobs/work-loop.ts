import type { SiltaDeps } from "../deps.ts";
import { type ApplySummary, applyPendingFieldEvents } from "../field-status/apply-events.ts";
import { type DeliverySummary, runDueJobs } from "./lifecycle.ts";

export interface WorkSummary {
  events: ApplySummary;
  jobs: DeliverySummary;
}

/**
 * One round of background work: apply received field events, then run due outbox jobs. With
 * `shouldStop` (graceful shutdown) no new job is started once it turns true; claimed jobs not
 * started are handed back.
 */
export async function runWorkOnce(deps: SiltaDeps, options: { shouldStop?: () => boolean } = {}): Promise<WorkSummary> {
  const events = await applyPendingFieldEvents(deps);
  if (options.shouldStop?.()) return { events, jobs: { claimed: 0, done: 0, retried: 0, parked: 0, deferred: 0, released: 0 } };
  const jobs = await runDueJobs(deps, deps.settings.batchSize, options);
  return { events, jobs };
}

/** True when a round found nothing to do. */
export function wasIdle(summary: WorkSummary): boolean {
  const e = summary.events;
  // A round that only deferred jobs (open breaker, Retry-After) waits like an idle one.
  const j = summary.jobs;
  return j.claimed === j.deferred + j.released && e.applied + e.stale + e.quarantined + e.unknown_work_order === 0;
}
