import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import cron from "node-cron";
import { ConfigError, type SiltaConfig } from "../config/config.ts";
import type { Database } from "../db/client.ts";
import { MIGRATIONS_FOLDER, migrateOnStart } from "../db/migrate-node.ts";
import { openDatabase } from "../db/open-node.ts";
import {
  DEFAULT_ENGINE_SETTINGS,
  type EngineSettings,
  type Logger,
  type Metrics,
  noopMetrics,
  type SiltaDeps,
} from "../domain/deps.ts";
import { type PollSummary, pollCaseSystem } from "../domain/poll.ts";
import { startReconcileSchedule } from "../domain/reconcile/reconcile-schedule-node.ts";
import { createTargetGuards } from "../domain/target-guard.ts";
import { createApp } from "../http/app.ts";
import { mediaPolicy } from "../lib/outbound-guard.ts";
import { loadMappingsFromDir } from "../mappings/load-node.ts";
import type { CaseSystem } from "../ports/case-system.ts";
import type { WorkOrderSystem } from "../ports/work-order-system.ts";
import { createCaseSystem } from "./case-system.ts";
import { createNodeLogger } from "./logger-node.ts";
import { createNodeMetrics } from "./metrics-node.ts";
import { startRetentionSchedule } from "./node-retention-schedule.ts";
import { nodeClientAddress, startHttpServer } from "./node-serve.ts";
import { guardedFetchFactory } from "./outbound-fetch-node.ts";
import { createTargetSystems } from "./targets.ts";
import { startWorkLoop } from "./work-loop-runner.ts";

export interface RunningSilta {
  url: string;
  deps: SiltaDeps;
  /** Runs one intake poll now (the schedule keeps running). */
  pollNow(): Promise<PollSummary>;
  /**
   * Graceful stop: the schedule, then the HTTP server, then the work loop (jobs on the wire
   * finish, claimed ones not started go back to pending), then the database.
   */
  stop(): Promise<void>;
}

export interface StartOverrides {
  log?: Logger;
  metrics?: Metrics;
  caseSystem?: CaseSystem;
  targets?: Map<string, WorkOrderSystem>;
  database?: Database;
  settings?: Partial<EngineSettings>;
  /** Skip the cron schedule (the sandbox polls on its own rhythm). */
  schedule?: boolean;
  /** Test hook at labelled steps (the chaos harness's child processes kill themselves there). */
  crashPoint?: SiltaDeps["crashPoint"];
}

/**
 * The Node runtime's composition root: builds the dependencies from the configuration once,
 * then runs the HTTP server (Hono on @hono/node-server), the work loop and the poll schedule
 * (node-cron) around the same core the Worker entry uses.
 */
export async function startSiltaNode(config: SiltaConfig, overrides: StartOverrides = {}): Promise<RunningSilta> {
  if (!cron.validate(config.pollCron))
    throw new ConfigError(`SILTA_POLL_CRON: "${config.pollCron}" is not a valid cron expression`);
  const log = overrides.log ?? createNodeLogger(config.logLevel);
  const mappings = loadMappingsFromDir(config.mappingsDir);
  const caseSystem = overrides.caseSystem ?? createCaseSystem(config, log);
  // Outbound calls resolve, check and pin addresses (S5, outbound-fetch-node.ts).
  const targets = overrides.targets ?? createTargetSystems(mappings, config.targets, config.httpTimeoutMs, guardedFetchFactory());
  const database = overrides.database ?? (await openDatabase(config.database));
  // S8: an application role cannot run DDL; then the owner runs `silta migrate` and /readyz waits for it.
  if ((await migrateOnStart(database, config.migrateOnStart)) === "skipped")
    log.info({ migrateOnStart: config.migrateOnStart }, "migrations not run at start; /readyz reports any pending");
  // /readyz is ready only when the database holds every migration this build ships.
  const expectedMigrations = (
    JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, "utf8")) as { entries: unknown[] }
  ).entries.length;
  const nodeMetrics = overrides.metrics ? null : createNodeMetrics(database);

  const deps: SiltaDeps = {
    database,
    mappings,
    caseSystem,
    targets,
    settings: {
      ...DEFAULT_ENGINE_SETTINGS,
      workerId: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 6)}`,
      leaseMs: config.leaseMs,
      callBudgetMs: config.httpTimeoutMs,
      pollLookbackMs: config.pollLookbackMs,
      retry: { ...DEFAULT_ENGINE_SETTINGS.retry, horizonMs: config.retryHorizonMs },
      ...overrides.settings,
    },
    log,
    metrics: overrides.metrics ?? nodeMetrics?.metrics ?? noopMetrics,
    now: () => new Date(),
    media: {
      policy: mediaPolicy(config.mediaHosts),
      onDropped: (target, count) => deps.metrics.mediaUrlsDropped?.({ target, count }),
    },
    ...(overrides.crashPoint ? { crashPoint: overrides.crashPoint } : {}),
  };
  // One breaker and budget per process, built once with the settings above.
  deps.targetGuards = createTargetGuards(deps.settings.breaker, deps.settings.budget);

  const loop = startWorkLoop(deps, config.workerIdleMs);
  const app = createApp(deps, {
    onInboxChanged: () => loop.kickInbox(),
    onCasesQueued: () => loop.kick(),
    adminTokens: config.adminTokens,
    handlerTokens: config.handlerTokens,
    ...(config.casePageFrameAncestors ? { casePageFrameAncestors: config.casePageFrameAncestors } : {}),
    rateLimits: config.rateLimits,
    clientAddress: nodeClientAddress,
    expectedMigrations,
    ...(nodeMetrics ? { metrics: nodeMetrics } : {}),
  });
  const server = await startHttpServer(app, {
    port: config.port,
    hostname: config.host,
  });
  const pollNow = async () => {
    const summary = await pollCaseSystem(deps);
    if (summary.routed + summary.cancelled > 0) loop.kick();
    return summary;
  };
  const task =
    overrides.schedule === false
      ? null
      : cron.schedule(
          config.pollCron,
          async () => {
            try {
              await pollNow();
            } catch (error) {
              log.error(
                { err: error instanceof Error ? error.message : String(error) },
                "open311 poll failed; the next scheduled poll retries",
              );
            }
          },
          { name: "open311-poll", noOverlap: true },
        );
  const reconcile =
    overrides.schedule === false ? null : startReconcileSchedule(deps, config.reconcileCron, log, () => loop.kick());
  // Retention (GDPR): purge finished cases' personal data daily (SILTA_RETENTION_DAYS / _CRON).
  const retention = overrides.schedule === false ? null : startRetentionSchedule(deps, config.retention, log);
  log.info({ url: server.url, database: database.kind, targets: [...targets.keys()] }, "silta started");
  return {
    url: server.url,
    deps,
    pollNow,
    async stop() {
      await reconcile?.stop();
      await retention?.stop();
      await task?.stop();
      await server.close();
      await loop.stop();
      if (!overrides.database) await database.close();
    },
  };
}
