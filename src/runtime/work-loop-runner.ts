import type { SiltaDeps } from "../domain/deps.ts";
import { applyPendingFieldEvents } from "../domain/field-status/apply-events.ts";
import { startJobPump } from "../domain/jobs/job-pump.ts";
import { createWakeTimer } from "../domain/jobs/wake-timer.ts";

export interface WorkLoop {
  /** Wakes both loops now (new cases, a repair) instead of at the end of their idle wait. */
  kick(): void;
  /**
   * Wakes the inbox loop only (a webhook or the contractor API stored events); it wakes the job
   * pump itself once it applied them. Waking the pump on every event made it claim for nothing,
   * which on PGlite's one connection cost a third of the round trips.
   */
  kickInbox(): void;
  /**
   * Graceful stop: no new job starts, jobs on the wire finish (each call is bounded by its
   * timeout); nothing stays claimed.
   */
  stop(): Promise<void>;
}

/**
 * Runs background work continuously, as two independent loops so that neither waits for the
 * other: the inbox loop applies received field events (and wakes the job pump when they re-armed
 * write-backs), the job pump (`src/domain/jobs/job-pump.ts`) keeps the outbox lanes busy. Each waits
 * `idleMs` (or a kick) when it finds nothing to do. A failing round (database down) is logged
 * and retried after the idle wait, so the loops recover by themselves.
 */
export function startWorkLoop(deps: SiltaDeps, idleMs: number): WorkLoop {
  const pump = startJobPump(deps, idleMs);
  let running = true;
  const timer = createWakeTimer();
  const sleep = () => timer.wait(idleMs);
  const inbox = (async () => {
    while (running) {
      try {
        const s = await applyPendingFieldEvents(deps);
        const settled = s.applied + s.stale + s.quarantined + s.unknown_work_order;
        if (s.applied > 0) pump.kick();
        // Asks again at once after a round that settled something: events that came meanwhile are
        // taken together. Waiting for the next kick instead saved empty rounds but applied events
        // one by one, and on PGlite cut the bench's round trips from 52/s to 36/s.
        if (settled === 0) await sleep();
      } catch (error) {
        deps.log.error(
          { err: error instanceof Error ? error.message : String(error) },
          "applying field events failed; retrying after the idle wait",
        );
        await sleep();
      }
    }
  })();
  return {
    kick() {
      timer.kick();
      pump.kick();
    },
    kickInbox() {
      timer.kick();
    },
    async stop() {
      running = false;
      timer.close();
      await Promise.all([inbox, pump.stop()]);
    },
  };
}
