import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import cron from "node-cron";
import { createEmailAlertChannel } from "../../adapters/alerts/email.ts";
import { createFallbackMailer } from "../../adapters/alerts/fallback-mailer.ts";
import { createSharpSanitizer } from "../../adapters/photos/sharp-sanitizer.ts";
import { ConfigError, type SiltaConfig } from "../config/config.ts";
import type { Database } from "../db/client.ts";
import { describeFailure } from "../db/describe-database-error.ts";
import { MIGRATIONS_FOLDER, migrateOnStart } from "../db/migrate-node.ts";
import { openDatabase } from "../db/open-node.ts";
import { waitForDatabase } from "../db/wait-for-database-node.ts";
import { evaluateAlerts } from "../domain/alerts/evaluate-alerts.ts";
import type { EngineSettings, Logger, Metrics, SiltaDeps, SourceState } from "../domain/deps.ts";
import { reReadSource } from "../domain/intake/anti-entropy.ts";
import { type PollSummary, pollCaseSystem } from "../domain/intake/poll.ts";
import { startReconcileSchedule } from "../domain/reconcile/reconcile-schedule-node.ts";
import { createApp } from "../http/app.ts";
import { loadMappingsFromDir } from "../mappings/load-node.ts";
import type { CaseSystem } from "../ports/case-system.ts";
import type { WorkOrderSystem } from "../ports/work-order-system.ts";
import { buildAppOptions, buildDeps } from "./build-deps.ts";
import { createCaseSystem } from "./case-system.ts";
import { createNodeLogger } from "./logger-node.ts";
import { createNodeMetrics } from "./metrics-node.ts";
import { startRetentionSchedule } from "./node-retention-schedule.ts";
import { nodeClientAddress, startHttpServer } from "./node-serve.ts";
import { guardedFetchFactory } from "./outbound-fetch-node.ts";
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

/** Scalar's standalone API reference script, served from Silta's own installation (no CDN). */
const API_REFERENCE_SCRIPT = new URL("./browser/standalone.js", import.meta.resolve("@scalar/api-reference"));

/**
 * The case system's state at start: its profile, where Silta sees every case, and whether write-back
 * is on. With `writeBack: probe`, `servicerequestupdates.json` is asked once; a server without it
 * gets write-back off with a warning (and the console and `/readyz` say so) instead of retries into
 * dead letters. A public-list intake is warned about: it cannot see unpublished cases.
 */
async function probeSource(config: SiltaConfig, caseSystem: CaseSystem, log: Logger): Promise<SourceState> {
  const { profile, intake } = config.open311;
  if (intake === "public_list")
    log.warn(
      { intake },
      "open311 intake reads the public list only: unpublished cases are not seen (set SILTA_OPEN311_PUSH_SECRETS or SILTA_OPEN311_API_KEY)",
    );
  if (profile.writeBack === "off")
    return { profile, intake, writeBack: { enabled: false, reason: "SILTA_OPEN311_WRITE_BACK=off" } };
  if (!config.open311.apiKey) {
    log.warn({}, "open311 write-back is off: no SILTA_OPEN311_API_KEY to write service request updates with");
    return { profile, intake, writeBack: { enabled: false, reason: "no SILTA_OPEN311_API_KEY" } };
  }
  if (profile.writeBack === "on" || !caseSystem.probeWriteBack)
    return { profile, intake, writeBack: { enabled: true, reason: "configured on" } };
  const probe = await caseSystem.probeWriteBack();
  if (probe.state === "unavailable") {
    log.warn(
      { reason: probe.reason },
      "open311 write-back is off: the server has no servicerequestupdates endpoint; field status shows on Silta's case page only",
    );
    return { profile, intake, writeBack: { enabled: false, reason: `servicerequestupdates not found (${probe.reason})` } };
  }
  if (probe.state === "unknown")
    log.warn({ reason: probe.reason }, "open311 write-back probe failed; write-back stays on and retries as usual");
  return { profile, intake, writeBack: { enabled: true, reason: `probe: ${probe.state}` } };
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
  const database = overrides.database ?? (await openDatabase(config.database));
  // A database still starting (or restarting) is waited for, not a crash.
  await waitForDatabase(database, { log: (line) => log.warn({}, `waiting for the database: ${line}`) });
  // S8: an application role cannot run DDL; then the owner runs `silta migrate` and /readyz waits for it.
  if ((await migrateOnStart(database, config.migrateOnStart)) === "skipped")
    log.info({ migrateOnStart: config.migrateOnStart }, "migrations not run at start; /readyz reports any pending");
  // /readyz is ready only when the database holds every migration this build ships.
  const expectedMigrations = (
    JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, "utf8")) as { entries: unknown[] }
  ).entries.length;
  const source = await probeSource(config, caseSystem, log);
  const nodeMetrics = overrides.metrics ? null : createNodeMetrics(database, { source });

  const metrics = overrides.metrics ?? nodeMetrics?.metrics;
  const deps = buildDeps(config, {
    database,
    mappings,
    log,
    workerId: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 6)}`,
    // Outbound calls resolve, check and pin addresses (S5, outbound-fetch-node.ts).
    outboundFetch: guardedFetchFactory(),
    // Photos are decoded and cleaned here (sharp); the Worker has no sanitizer and refuses uploads.
    photoSanitizer: createSharpSanitizer(),
    // E-mail goes through a real SMTP client, here only (the Worker posts the webhook alone).
    ...(config.alerts.email
      ? { alertChannels: [createEmailAlertChannel({ ...config.alerts.email, consoleUrl: config.publicUrl })] }
      : {}),
    ...(config.smtp ? { fallbackMailer: createFallbackMailer({ smtpUrl: config.smtp.url, from: config.smtp.from }) } : {}),
    caseSystem,
    source,
    ...(overrides.targets ? { targets: overrides.targets } : {}),
    ...(metrics ? { metrics } : {}),
    ...(overrides.settings ? { settings: overrides.settings } : {}),
    ...(overrides.crashPoint ? { crashPoint: overrides.crashPoint } : {}),
  });
  const { targets } = deps;

  const loop = startWorkLoop(deps, config.workerIdleMs);
  const app = createApp(
    deps,
    buildAppOptions(config, {
      onInboxChanged: () => loop.kickInbox(),
      onCasesQueued: () => loop.kick(),
      clientAddress: nodeClientAddress,
      expectedMigrations,
      ...(nodeMetrics ? { metrics: nodeMetrics } : {}),
      apiReferenceScript: () => readFile(API_REFERENCE_SCRIPT, "utf8"),
    }),
  );
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
              // The reason only: a database error's message from drizzle would carry the query's parameters.
              log.error({ err: describeFailure(error) }, "open311 poll failed; the next scheduled poll retries");
            }
          },
          { name: "open311-poll", noOverlap: true },
        );
  const reconcile =
    overrides.schedule === false ? null : startReconcileSchedule(deps, config.reconcileCron, log, () => loop.kick());
  const antiEntropy =
    overrides.schedule === false
      ? null
      : cron.schedule(
          config.antiEntropy.cron,
          async () => {
            try {
              const summary = await reReadSource(deps, config.antiEntropy);
              if (summary.intake.routed + summary.intake.cancelled > 0) loop.kick();
            } catch (error) {
              log.error({ err: describeFailure(error) }, "open311 anti-entropy re-read failed; the next scheduled run retries");
            }
          },
          { name: "open311-anti-entropy", noOverlap: true },
        );
  // Operational alerts: raised, recovered and sent (SILTA_ALERT_*), every minute by default.
  const startedAt = new Date();
  const alertTask =
    overrides.schedule === false
      ? null
      : cron.schedule(
          config.alerts.cron,
          async () => {
            try {
              await evaluateAlerts(deps, {
                deadLetterThreshold: config.alerts.deadLetterThreshold,
                maxNoticesPerHour: config.alerts.maxNoticesPerHour,
                intake: { staleMs: config.intakeStaleMs, since: startedAt },
              });
            } catch (error) {
              log.error({ err: describeFailure(error) }, "evaluating alerts failed; the next run retries");
            }
          },
          { name: "alerts", noOverlap: true },
        );
  // Retention (GDPR): purge finished cases' personal data daily (SILTA_RETENTION_DAYS / _CRON).
  const retention = overrides.schedule === false ? null : startRetentionSchedule(deps, config.retention, log);
  log.info(
    {
      url: server.url,
      database: database.kind,
      targets: [...targets.keys()],
      open311Profile: source.profile.name,
      intake: source.intake,
      writeBack: source.writeBack.enabled ? "on" : "off",
    },
    "silta started",
  );
  return {
    url: server.url,
    deps,
    pollNow,
    async stop() {
      await reconcile?.stop();
      await alertTask?.stop();
      await retention?.stop();
      await task?.stop();
      await antiEntropy?.stop();
      await server.close();
      await loop.stop();
      if (!overrides.database) await database.close();
    },
  };
}
