import type { Database } from "../db/client.ts";
import type { Mappings } from "../mappings/mappings.ts";
import type { AlarmChannel } from "../ports/alarm-channel.ts";
import type { AlertChannel } from "../ports/alert-channel.ts";
import type { CaseSystem } from "../ports/case-system.ts";
import type { FallbackMailer } from "../ports/fallback-mailer.ts";
import type { PhotoSanitizer, PhotoStore } from "../ports/photos.ts";
import type { IntakeSource, SourceProfile } from "../ports/source-profile.ts";
import type { WorkOrderSystem } from "../ports/work-order-system.ts";
import type { CrashPointLabel } from "./jobs/crash-points.ts";
import type { BreakerSettings, BudgetSettings, TargetGuards } from "./jobs/target-guard.ts";
import type { MediaFilter } from "./work-order-payload.ts";

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
  intake(event: { new: number; updated: number; routed: number; excluded: number; quarantined?: number }): void;
  /** One intake poll ended, successfully or not. */
  poll?(event: { ok: boolean }): void;
  /** Media URLs left out of one work order by the outbound guard (S5); a count, never the URLs. */
  mediaUrlsDropped?(event: { target: string; count: number }): void;
}

export const noopMetrics: Metrics = { jobAttempt() {}, fieldEvent() {}, intake() {} };

export interface EngineSettings {
  /** Identifies this process's leases. */
  workerId: string;
  /** How long a claimed job stays ours without a heartbeat. */
  leaseMs: number;
  /** How often a job whose call is still out extends its lease; default a third of the lease. */
  heartbeatMs?: number;
  /**
   * The longest one outbound call may take (the HTTP timeout). A create is sent only when the
   * lease, just extended, outlasts it: no other worker can take the job over while it is out.
   * Must be well below `leaseMs`. Default a third of the lease.
   */
  callBudgetMs?: number;
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
  /** Per-target circuit breaker (R7); targets.yaml `policy.breaker` overrides it per target. */
  breaker: BreakerSettings;
  /** Per-target retry budget (R7). */
  budget: BudgetSettings;
  /** At most this many jobs of one target per claimed batch, so that one slow target cannot fill every lane. */
  perTargetBatchLimit: number;
  /** How far back the first poll of a fresh database reaches. */
  pollLookbackMs: number;
  /** Every poll re-reads this much before the cursor: the source stamps whole seconds. */
  pollOverlapMs: number;
  /** Once every `pollDeepEveryMs`, a poll re-reads this much instead: clocks and commits lag. */
  pollDeepOverlapMs: number;
  pollDeepEveryMs: number;
}

export const DEFAULT_ENGINE_SETTINGS: Omit<EngineSettings, "workerId"> = {
  leaseMs: 60_000,
  batchSize: 50,
  concurrency: 16,
  retry: { baseMs: 5_000, capMs: 30 * 60_000, horizonMs: 72 * 3_600_000 },
  breaker: { failureThreshold: 5, openMs: 30_000 },
  budget: { ratio: 0.1, floor: 10, windowMs: 60_000 },
  perTargetBatchLimit: 8,
  pollLookbackMs: 24 * 3_600_000,
  pollOverlapMs: 10_000,
  pollDeepOverlapMs: 5 * 60_000,
  pollDeepEveryMs: 60_000,
};

/**
 * What Silta knows of its case system: the profile it was configured with, where it sees every
 * case, and whether write-back is on (the profile's setting, or the start-up probe's finding).
 * Absent: Helsinki's profile with write-back on.
 */
export interface SourceState {
  profile: SourceProfile;
  intake: IntakeSource;
  writeBack: { enabled: boolean; reason: string };
}

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
  /**
   * Test hook: called at labelled steps (crash-points.ts). The chaos harness's child processes
   * kill themselves there; production leaves it unset.
   */
  crashPoint?: (label: CrashPointLabel) => void;
  /** Per-target breaker, budget and Retry-After state; one per process (created on first use when absent). */
  targetGuards?: TargetGuards;
  /** Which media URLs work orders may carry (SILTA_MEDIA_HOSTS); absent: the default, asiointi.hel.fi only. */
  media?: MediaFilter;
  /** The case system's profile and write-back state (SourceState). */
  source?: SourceState;
  /**
   * Photos from the field: where their bytes rest, the check that cleans them (Node only; absent
   * on the Worker, which then refuses uploads), the size limit and the base of approved photos'
   * public URLs. Absent: Silta takes no photos.
   */
  photos?: { store: PhotoStore; sanitizer?: PhotoSanitizer; maxBytes: number; publicBaseUrl: string };
  /** The fallback channel's e-mail (targets.yaml `policy.fallback`); absent: no fallback. Node only. */
  fallbackMailer?: FallbackMailer;
  /** Where operational alerts go (e-mail, signed webhook); absent or empty: the console only. */
  alertChannels?: readonly AlertChannel[];
  /** Where late-answer alarms are sent (SILTA_ALARM_WEBHOOK_URL); absent: console, case page and metrics only. */
  alarms?: AlarmChannel;
}
