import type { SandboxProgress } from "./progress.ts";
import type { Sandbox } from "./sandbox.ts";

export interface SettleOptions {
  timeoutMs: number;
  pollIntervalMs: number;
  /** Called about every `reportEveryMs` with the latest progress. */
  onProgress?: (progress: SandboxProgress, seconds: number) => void;
  reportEveryMs?: number;
  /** Stops waiting early (Ctrl-C). */
  shouldStop?: () => boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when Silta has taken in every case the city has and nothing is moving any more. */
export function isSettled(progress: SandboxProgress, cityCases: number): boolean {
  return (
    progress.cases + progress.quarantined >= cityCases &&
    progress.unsettled === 0 &&
    progress.pendingJobs === 0 &&
    progress.pendingEvents === 0
  );
}

/**
 * Polls the Helsinki simulator on the sandbox's rhythm until every routed case is at rest, or
 * the timeout passes. Returns whether it settled.
 */
export async function runUntilSettled(sandbox: Sandbox, options: SettleOptions): Promise<boolean> {
  const started = performance.now();
  let lastPoll = Number.NEGATIVE_INFINITY;
  let lastReport = 0;
  for (;;) {
    const now = performance.now();
    if (now - lastPoll >= options.pollIntervalMs) {
      lastPoll = now;
      await sandbox.poll();
      // A poll's own results count only after the next progress read.
      continue;
    }
    const progress = await sandbox.progress();
    const seconds = (now - started) / 1000;
    if (options.onProgress && now - lastReport >= (options.reportEveryMs ?? 2000)) {
      lastReport = now;
      options.onProgress(progress, seconds);
    }
    if (isSettled(progress, sandbox.helsinki.sim.store.cases.size)) return true;
    if (now - started > options.timeoutMs || options.shouldStop?.()) return false;
    await sleep(100);
  }
}
