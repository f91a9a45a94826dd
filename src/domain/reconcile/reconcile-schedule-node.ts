import cron from "node-cron";
import type { Logger, SiltaDeps } from "../deps.ts";
import { reconcileOpenLinks } from "./reconcile.ts";

export interface ReconcileSchedule {
  stop(): Promise<void>;
}

/**
 * Runs reconciliation with repair on the Node runtime's schedule (SILTA_RECONCILE_CRON). A run
 * that is still going when the next is due is not overlapped; a failed run is logged and the
 * next one tries again. `onRepairsQueued` lets the runtime kick its work loop.
 */
export function startReconcileSchedule(
  deps: SiltaDeps,
  cronExpression: string,
  log: Logger,
  onRepairsQueued: () => void = () => {},
): ReconcileSchedule {
  if (!cron.validate(cronExpression)) throw new Error(`SILTA_RECONCILE_CRON: "${cronExpression}" is not a valid cron expression`);
  const task = cron.schedule(
    cronExpression,
    async () => {
      try {
        const report = await reconcileOpenLinks(deps, { repair: true });
        if (report.repairs.queued > 0) onRepairsQueued();
      } catch (error) {
        log.error(
          { err: error instanceof Error ? error.message : String(error) },
          "reconciliation failed; the next scheduled run tries again",
        );
      }
    },
    { name: "reconcile", noOverlap: true },
  );
  return {
    async stop() {
      await task.stop();
    },
  };
}
