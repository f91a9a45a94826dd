import type { SiltaDeps } from "../deps.ts";
import { endExpiredPausesNowAndThen } from "../target-pauses.ts";
import { sendFallbacksNowAndThen } from "./fallback.ts";
import { type JobContext, loadJobContexts, runJob, targetGuardsOf } from "./lifecycle.ts";
import { claimDueJobs } from "./store.ts";
import { createWakeTimer } from "./wake-timer.ts";

export interface JobPump {
  /** Claims now instead of at the end of the idle wait (new cases, a re-armed write-back). */
  kick(): void;
  /** Starts nothing new and resolves once every running job has finished. */
  stop(): Promise<void>;
}

/**
 * Runs outbox jobs continuously in `concurrency` lanes. Unlike a batch round (`runDueJobs`),
 * nothing waits for the slowest job of a batch: lanes are refilled as they free up, with one
 * claim for a quarter of the lanes at a time so that the claim query is shared. A target never
 * holds more than `perTargetBatchLimit` lanes (R7: a slow or dead contractor cannot fill them),
 * and targets held by their breaker or a Retry-After are not claimed at all. Jobs are claimed
 * only when a lane can start them at once, so no claimed job waits on its lease.
 */
export function startJobPump(deps: SiltaDeps, idleMs: number): JobPump {
  const guards = targetGuardsOf(deps);
  const lanes = deps.settings.concurrency;
  const perTarget = deps.settings.perTargetBatchLimit;
  const refillWhenFree = Math.max(1, Math.floor(lanes / 4));
  const inFlight = new Map<string, number>();
  let running = 0;
  let stopping = false;
  const timer = createWakeTimer();
  /** Resolves the stop once the last running job has finished. */
  let drained: (() => void) | null = null;

  /** Waits for a kick, a finished job or `ms`, whichever comes first. */
  const pause = timer.wait;
  const signal = timer.kick;

  const start = (job: Awaited<ReturnType<typeof claimDueJobs>>[number], context: JobContext | undefined) => {
    running++;
    inFlight.set(job.target, (inFlight.get(job.target) ?? 0) + 1);
    runJob(deps, job, context)
      .catch((error: unknown) => {
        // runJob records every failure it can; this is the database failing under it. The
        // lease runs out and the job is claimed again, by us or another worker.
        deps.log.error({ jobId: job.id, err: error instanceof Error ? error.message : String(error) }, "job failed to settle");
      })
      .finally(() => {
        running--;
        inFlight.set(job.target, (inFlight.get(job.target) ?? 1) - 1);
        signal();
        if (running === 0) drained?.();
      });
  };

  const finished = (async () => {
    while (!stopping) {
      const free = lanes - running;
      if (free < refillWhenFree && running > 0) {
        await pause(idleMs);
        continue;
      }
      try {
        await endExpiredPausesNowAndThen(deps);
        await sendFallbacksNowAndThen(deps);
        const now = deps.now().getTime();
        const saturated = [...inFlight].filter(([, n]) => n >= perTarget).map(([target]) => target);
        const jobs = await claimDueJobs(deps.database, deps.settings.workerId, free, deps.settings.leaseMs, {
          excludeTargets: [...guards.blockedTargets(now), ...saturated],
          perTargetLimit: perTarget,
        });
        if (jobs.length > 0) deps.crashPoint?.("after_claim");
        // Links and snapshots for the whole claim in one query; the jobs start at once, so they
        // are as fresh as a read inside each job would be.
        // If that read fails, each job reads its own (and meets the same failure in its normal path).
        const contexts = await loadJobContexts(deps, jobs).catch(() => new Map<number, JobContext>());
        for (const job of jobs) start(job, contexts.get(job.id));
        // A full claim means more may be due: go round again at once.
        if (jobs.length === free && !stopping) continue;
      } catch (error) {
        deps.log.error(
          { err: error instanceof Error ? error.message : String(error) },
          "claiming jobs failed; retrying after the idle wait",
        );
      }
      await pause(idleMs);
    }
    // Not `pause`: it returns at once after close(), and a loop of resolved promises would keep
    // the event loop from ever delivering the answers these jobs wait for.
    if (running > 0)
      await new Promise<void>((resolve) => {
        drained = resolve;
      });
  })();

  return {
    kick: signal,
    async stop() {
      stopping = true;
      timer.close();
      await finished;
    },
  };
}
