import type { Database } from "../db/client.ts";
import type { Mappings } from "../mappings/mappings.ts";
import type { CaseSystem } from "../ports/case-system.ts";
import type { WorkOrderSystem } from "../ports/work-order-system.ts";

/** Structured logger (pino's shape). Fields carry ids and codes, never personal data. */
export interface Logger {
  debug(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Where the core reports what happened, for metrics (Prometheus on Node). Labels are target
 * ids, job kinds and outcome codes only: never case ids or personal data.
 */
export interface Metrics {
  /** One outbox job attempt finished (done, retry, parked or lease_lost) after `ms`. */
  jobAttempt(event: { kind: string; target: string; outcome: string; errorCode: string | null; ms: number }): void;
  /** One inbox event was settled (applied, stale, quarantined, unknown_work_order). */
  fieldEvent(event: { target: string; state: string }): void;
  /** Cases seen by one intake round. */
  intake(event: { new: number; updated: number; routed: number; excluded: number }): void;
}

export const noopMetrics: Metrics = { jobAttempt() {}, fieldEvent() {}, intake() {} };

export interface EngineSettings {
  /** Identifies this process's leases. */
  workerId: string;
  /** How long a claimed job stays ours without a heartbeat. */
  leaseMs: number;
  /** Jobs claimed per batch. */
  batchSize: number;
  /** How many claimed jobs run at once. */
  concurrency: number;
  retry: {
    /** First durable retry waits up to this long (full jitter). */
    baseMs: number;
    /** No single wait is longer than this. */
    capMs: number;
    /** After this long since the first attempt a failing job is parked (dead-lettered). */
    horizonMs: number;
  };
  /** How far back the first poll of a fresh database reaches. */
  pollLookbackMs: number;
  /** Re-read this much before the cursor: sources stamp seconds, and clocks and commits lag. */
  pollOverlapMs: number;
}

export const DEFAULT_ENGINE_SETTINGS: Omit<EngineSettings, "workerId"> = {
  leaseMs: 60_000,
  batchSize: 50,
  concurrency: 16,
  retry: { baseMs: 5_000, capMs: 30 * 60_000, horizonMs: 72 * 3_600_000 },
  pollLookbackMs: 24 * 3_600_000,
  pollOverlapMs: 5 * 60_000,
};

/** Everything the core needs, built once per runtime by its entry file. No module-level singletons. */
export interface SiltaDeps {
  database: Database;
  mappings: Mappings;
  caseSystem: CaseSystem;
  targets: ReadonlyMap<string, WorkOrderSystem>;
  settings: EngineSettings;
  log: Logger;
  metrics: Metrics;
  now: () => Date;
}
