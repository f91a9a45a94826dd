/**
 * The one builder of Silta's dependencies and HTTP app options from the parsed configuration,
 * for every runtime: the Node process, the Cloudflare Worker, the commands that need the core
 * (`silta reconcile`) and the sandbox (through the Node runtime). What differs between them (how
 * the database is opened, the logger, how outbound requests are guarded, the worker id) comes in
 * as arguments, so that this file imports no `node:` module and bundles for the Worker.
 */

import { createAlarmWebhook } from "../../adapters/alarm-webhook/client.ts";
import { createWebhookAlertChannel } from "../../adapters/alerts/webhook.ts";
import { createS3PhotoStore } from "../../adapters/photos/s3-store.ts";
import type { SiltaConfig } from "../config/config.ts";
import type { Database } from "../db/client.ts";
import {
  DEFAULT_ENGINE_SETTINGS,
  type EngineSettings,
  type Logger,
  type Metrics,
  noopMetrics,
  type SiltaDeps,
  type SourceState,
} from "../domain/deps.ts";
import { breakerOverrides } from "../domain/jobs/call-gate.ts";
import { createTargetGuards } from "../domain/jobs/target-guard.ts";
import { createDatabasePhotoStore } from "../domain/photos/database-store.ts";
import type { AppOptions } from "../http/app.ts";
import { mediaPolicy, targetPolicy } from "../lib/outbound-guard.ts";
import type { Mappings } from "../mappings/mappings.ts";
import type { AlertChannel } from "../ports/alert-channel.ts";
import type { CaseSystem } from "../ports/case-system.ts";
import type { FallbackMailer } from "../ports/fallback-mailer.ts";
import type { PhotoSanitizer } from "../ports/photos.ts";
import type { WorkOrderSystem } from "../ports/work-order-system.ts";
import { createCaseSystem } from "./case-system.ts";
import { createTargetSystems, type OutboundFetchFactory, urlCheckedFetchFactory } from "./targets.ts";

/** What a runtime brings to the builder: the parts that are not in the configuration. */
export interface DepsPlatform {
  /** The open database: PGlite or postgres.js on Node, postgres.js over Hyperdrive on the Worker. */
  database: Database;
  /** The mapping files, loaded and validated (from the folder on Node, bundled on the Worker). */
  mappings: Mappings;
  log: Logger;
  /** Identifies this process's leases (host and pid on Node, a random id per Worker invocation). */
  workerId: string;
  /**
   * How target requests leave (S5): Node resolves, checks and pins addresses (guardedFetchFactory);
   * absent: URL-level checks only (urlCheckedFetchFactory; the Worker cannot resolve names).
   */
  outboundFetch?: OutboundFetchFactory;
  /** Alert channels only a runtime can build (e-mail over SMTP: Node only). */
  alertChannels?: AlertChannel[];
  /** The fallback channel's e-mail (Node only). */
  fallbackMailer?: FallbackMailer;
  /** The photo check (sharp, Node only); absent: photo uploads are refused with a clear error. */
  photoSanitizer?: PhotoSanitizer;
  /** Absent: no metrics (noopMetrics). */
  metrics?: Metrics;
  /** The case system's state; absent: as configured (configuredSource), without asking the server. */
  source?: SourceState;
  /** Test hook at labelled steps (the chaos harness). */
  crashPoint?: SiltaDeps["crashPoint"];
  /** Stand-ins for the case system and the targets (tests); absent: built from the configuration. */
  caseSystem?: CaseSystem;
  targets?: ReadonlyMap<string, WorkOrderSystem>;
  /** Engine settings over the configured ones (the sandbox's quick retries). */
  settings?: Partial<EngineSettings>;
  /** Absent: the wall clock. */
  now?: () => Date;
}

/** The engine's settings from the configuration (SILTA_LEASE_SECONDS, SILTA_HTTP_TIMEOUT_MS, …). */
export function engineSettings(config: SiltaConfig, workerId: string, overrides: Partial<EngineSettings> = {}): EngineSettings {
  return {
    ...DEFAULT_ENGINE_SETTINGS,
    workerId,
    leaseMs: config.leaseMs,
    // A create is sent only when the lease outlasts the longest call (parseConfig keeps it below half the lease).
    callBudgetMs: config.httpTimeoutMs,
    pollLookbackMs: config.pollLookbackMs,
    retry: { ...DEFAULT_ENGINE_SETTINGS.retry, horizonMs: config.retryHorizonMs },
    ...overrides,
  };
}

/**
 * The case system's state as configured, without asking the server: write-back is off when the
 * profile turns it off or there is no API key to write with, else on. The Node runtime probes
 * the server at start instead (`writeBack: probe`) and passes what it found.
 */
export function configuredSource(config: SiltaConfig): SourceState {
  const { profile, intake, apiKey } = config.open311;
  if (profile.writeBack === "off")
    return { profile, intake, writeBack: { enabled: false, reason: "SILTA_OPEN311_WRITE_BACK=off" } };
  if (!apiKey) return { profile, intake, writeBack: { enabled: false, reason: "no SILTA_OPEN311_API_KEY" } };
  return {
    profile,
    intake,
    writeBack: { enabled: true, reason: profile.writeBack === "on" ? "configured on" : "configured (not probed)" },
  };
}

/** The alarm webhook, reached like a target: only its own host, https to a public one. */
function alarmChannel(webhook: { url: string; secrets: string[] }, timeoutMs: number, outbound = urlCheckedFetchFactory) {
  return createAlarmWebhook({
    ...webhook,
    timeoutMs,
    fetch: outbound("alarm-webhook", targetPolicy(webhook.url, false), timeoutMs),
  });
}

/** Silta's dependencies from the configuration and the runtime's own parts. */
export function buildDeps(config: SiltaConfig, platform: DepsPlatform): SiltaDeps {
  const { database, mappings, log } = platform;
  const settings = engineSettings(config, platform.workerId, platform.settings);
  const deps: SiltaDeps = {
    database,
    mappings,
    caseSystem: platform.caseSystem ?? createCaseSystem(config, log),
    targets: platform.targets ?? createTargetSystems(mappings, config.targets, config.httpTimeoutMs, platform.outboundFetch),
    settings,
    log,
    metrics: platform.metrics ?? noopMetrics,
    now: platform.now ?? (() => new Date()),
    media: {
      policy: mediaPolicy(config.mediaHosts),
      onDropped: (target, count) => deps.metrics.mediaUrlsDropped?.({ target, count }),
      ownPhotoBase: `${config.publicUrl.replace(/\/+$/, "")}/photos/`,
    },
    ...(platform.crashPoint ? { crashPoint: platform.crashPoint } : {}),
    source: platform.source ?? configuredSource(config),
    photos: {
      store: config.photos.s3 ? createS3PhotoStore(config.photos.s3) : createDatabasePhotoStore(database),
      ...(platform.photoSanitizer ? { sanitizer: platform.photoSanitizer } : {}),
      maxBytes: config.photos.maxBytes,
      publicBaseUrl: config.publicUrl,
    },
    ...(platform.fallbackMailer ? { fallbackMailer: platform.fallbackMailer } : {}),
    alertChannels: [
      ...(platform.alertChannels ?? []),
      ...(config.alerts.webhook
        ? [
            createWebhookAlertChannel({
              ...config.alerts.webhook,
              timeoutMs: config.httpTimeoutMs,
              fetch: (platform.outboundFetch ?? urlCheckedFetchFactory)(
                "alert-webhook",
                targetPolicy(config.alerts.webhook.url, false),
                config.httpTimeoutMs,
              ),
            }),
          ]
        : []),
    ],
    ...(config.alarmWebhook ? { alarms: alarmChannel(config.alarmWebhook, config.httpTimeoutMs, platform.outboundFetch) } : {}),
    // One breaker and budget per process (per invocation on the Worker), with the settings above.
    targetGuards: createTargetGuards(settings.breaker, settings.budget, breakerOverrides({ mappings })),
  };
  return deps;
}

/** What a runtime adds to the HTTP app's options: its hooks, and what only it can know. */
export interface AppPlatform
  extends Pick<
    AppOptions,
    "onInboxChanged" | "onCasesQueued" | "clientAddress" | "expectedMigrations" | "metrics" | "apiReferenceScript"
  > {
  /**
   * The app serves one request and is dropped (the Worker): no rate limits, whose buckets would
   * be new for every request.
   */
  perRequest?: boolean;
  /** When this process started: intake counts as stale from then when no poll has succeeded. Default now. */
  startedAt?: Date;
}

/**
 * The HTTP app's options from the configuration: the admin and handler tokens (none: those
 * surfaces are closed), the case page's frame ancestors, rate limits, the trusted proxy and
 * intake freshness.
 */
export function buildAppOptions(config: SiltaConfig, platform: AppPlatform = {}): AppOptions {
  const { perRequest = false, startedAt = new Date(), ...hooks } = platform;
  return {
    ...hooks,
    adminTokens: config.adminTokens,
    handlerTokens: config.handlerTokens,
    ...(config.casePageFrameAncestors ? { casePageFrameAncestors: config.casePageFrameAncestors } : {}),
    ...(perRequest ? {} : { rateLimits: config.rateLimits }),
    trustedProxy: config.trustedProxy,
    intakeHealth: { staleMs: config.intakeStaleMs, since: startedAt },
  };
}
