import cron from "node-cron";
import type { Logger, SiltaDeps } from "../domain/deps.ts";
import { purgeExpiredPersonalData } from "../domain/retention.ts";

/**
 * Runs the retention purge on the Node runtime's schedule (SILTA_RETENTION_CRON, daily by
 * default). A run still going when the next is due is not overlapped; a failed run is logged
 * (code only) and the next one tries again.
 */
export function startRetentionSchedule(
  deps: SiltaDeps,
  retention: { days: number; cron: string },
  log: Logger,
): { stop(): Promise<void> } {
  if (!cron.validate(retention.cron)) throw new Error(`SILTA_RETENTION_CRON: "${retention.cron}" is not a valid cron expression`);
  const task = cron.schedule(
    retention.cron,
    async () => {
      try {
        const summary = await purgeExpiredPersonalData(deps, { days: retention.days });
        log.info({ ...summary }, "retention purge");
      } catch (error) {
        log.error(
          { err: error instanceof Error ? error.message : String(error) },
          "retention purge failed; the next run tries again",
        );
      }
    },
    { name: "retention", noOverlap: true },
  );
  return {
    async stop() {
      await task.stop();
    },
  };
}
