import type { SiltaDeps } from "../domain/deps.ts";
import { runWorkOnce, wasIdle } from "../domain/work-loop.ts";

export interface WorkLoop {
  /** Wakes the loop now (e.g. after a webhook stored events) instead of at the end of its idle wait. */
  kick(): void;
  /**
   * Graceful stop: no new job starts, jobs on the wire finish (each call is bounded by its
   * timeout), claimed jobs not started are handed back at once (not after the lease).
   */
  stop(): Promise<void>;
}

/**
 * Runs background work continuously: back to back while there is work, waiting `idleMs` (or a
 * kick) when a round finds none. A failing round (database down) is logged and retried after
 * the idle wait, so the loop recovers by itself when the database comes back.
 */
export function startWorkLoop(deps: SiltaDeps, idleMs: number): WorkLoop {
  let running = true;
  let wake: (() => void) | null = null;
  let kicked = false;
  const sleep = () =>
    new Promise<void>((resolve) => {
      if (kicked || !running) {
        kicked = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, idleMs);
      function done() {
        clearTimeout(timer);
        wake = null;
        kicked = false;
        resolve();
      }
      wake = done;
    });
  const finished = (async () => {
    while (running) {
      try {
        const summary = await runWorkOnce(deps, { shouldStop: () => !running });
        if (wasIdle(summary)) await sleep();
      } catch (error) {
        deps.log.error(
          { err: error instanceof Error ? error.message : String(error) },
          "work round failed; retrying after the idle wait",
        );
        await sleep();
      }
    }
  })();
  return {
    kick() {
      kicked = true;
      wake?.();
    },
    async stop() {
      running = false;
      wake?.();
      await finished;
    },
  };
}
