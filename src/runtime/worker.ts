/**
 * Cloudflare Worker entry: the same core as the Node runtime, built per invocation from the
 * Worker's bindings by the same builder (build-deps.ts). HTTP requests go to createApp; a request
 * that queued work (a webhook, a contractor event, a push) starts it at once after answering
 * (`ctx.waitUntil`, half the time budget). The cron triggers (worker-tasks.ts#WORKER_CRONS) run
 * intake and work every minute, reconciliation every 15 minutes, and the anti-entropy re-read and
 * retention nightly, each task isolated from the others' failures. PostgreSQL is reached through
 * Hyperdrive with postgres.js (PGlite does not run in workerd); migrations are a deploy step
 * (`silta migrate`), and /readyz says not ready until the database holds all of this build's.
 */

import { Registry } from "prom-client";
import journal from "../../drizzle/meta/_journal.json" with { type: "json" };
import areas from "../../mappings/areas.geojson";
import routing from "../../mappings/routing.yaml";
import contractorStatus from "../../mappings/status/contractor-api.yaml";
import staraStatus from "../../mappings/status/stara.yaml";
import targetsFile from "../../mappings/targets.yaml";
import writeback from "../../mappings/writeback.yaml";
import { parseConfig, type SiltaConfig } from "../config/config.ts";
import { openPostgres } from "../db/open-postgres.ts";
import type { Logger, SiltaDeps } from "../domain/deps.ts";
import { createApp } from "../http/app.ts";
import { loadMappings } from "../mappings/mappings.ts";
import { buildAppOptions, buildDeps } from "./build-deps.ts";
import { registerDatabaseGauges } from "./metrics-database.ts";
import { runKick, runScheduled } from "./worker-tasks.ts";

interface WorkerEnv extends Record<string, unknown> {
  HYPERDRIVE?: { connectionString: string };
}

/** The mapping files, bundled as text by wrangler's Text rules (see wrangler.toml). */
const MAPPING_FILES: Record<string, string> = {
  "targets.yaml": targetsFile,
  "routing.yaml": routing,
  "writeback.yaml": writeback,
  "areas.geojson": areas,
  "status/stara.yaml": staraStatus,
  "status/contractor-api.yaml": contractorStatus,
};

const consoleLogger: Logger = {
  debug: (fields, message) => console.debug(JSON.stringify({ level: "debug", message, ...fields })),
  info: (fields, message) => console.log(JSON.stringify({ level: "info", message, ...fields })),
  warn: (fields, message) => console.warn(JSON.stringify({ level: "warn", message, ...fields })),
  error: (fields, message) => console.error(JSON.stringify({ level: "error", message, ...fields })),
};

/**
 * One invocation's configuration and dependencies, from the same builder as the Node runtime's
 * (build-deps.ts). Outbound requests get URL-level checks only (the builder's default): workerd
 * cannot resolve names, and Cloudflare's fetch does not reach private networks.
 */
function buildWorker(env: WorkerEnv, maxConnections: number): { deps: SiltaDeps; config: SiltaConfig } {
  const strings = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
  const mappings = loadMappings((path) => MAPPING_FILES[path]);
  const config = parseConfig({ ...strings, ...(env.HYPERDRIVE ? { DATABASE_URL: env.HYPERDRIVE.connectionString } : {}) }, [
    ...mappings.targets.values(),
  ]);
  if (!("url" in config.database)) throw new Error("the Worker needs PostgreSQL: bind HYPERDRIVE or set DATABASE_URL");
  const deps = buildDeps(config, {
    // Not verified against Hyperdrive here: keep drizzle's unnamed statements on the Worker.
    database: openPostgres(config.database.url, { maxConnections, preparedStatements: false }),
    mappings,
    log: consoleLogger,
    workerId: `worker:${crypto.randomUUID()}`,
  });
  return { deps, config };
}

/** Migrations this build ships: /readyz waits until the database holds them all. */
const EXPECTED_MIGRATIONS = journal.entries.length;

/** A contractor's field event (the app does not wake the inbox for these on Node; here nothing else would). */
const CONTRACTOR_EVENT = /^\/api\/contractor\/v1\/work-orders\/[^/]+\/events$/;

/**
 * Prometheus text from the database (the Worker keeps no counts between invocations). The
 * registry is built when /metrics is asked, not for every request the isolate answers.
 */
function databaseMetrics(deps: SiltaDeps) {
  return {
    render: async () => {
      const registry = new Registry();
      registerDatabaseGauges(registry, deps.database, deps.source);
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * Requests that may start queued work at once in this isolate. Each invocation opens its own
 * connections (Hyperdrive pools them in production, nothing does under plain workerd), so a burst
 * of webhooks must not become a burst of pools: a kick beyond these is skipped, and the running
 * kicks or the next cron run take its work (they claim whatever is due, not one request's).
 */
const MAX_KICKS_PER_ISOLATE = 2;
let kicksRunning = 0;

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    // A request needs one connection; its kick, if any, a second.
    const { deps, config } = buildWorker(env, 2);
    let queued = false;
    // The same app options as on Node (admin and handler tokens: those surfaces are closed without
    // them); the app lives for this one request, so no rate limits (their buckets would start full).
    const options = buildAppOptions(config, {
      perRequest: true,
      expectedMigrations: EXPECTED_MIGRATIONS,
      metrics: databaseMetrics(deps),
      onInboxChanged: () => {
        queued = true;
      },
      onCasesQueued: () => {
        queued = true;
      },
    });
    const response = await createApp(deps, options).fetch(request);
    const path = new URL(request.url).pathname;
    if (request.method === "POST" && response.status < 300 && CONTRACTOR_EVENT.test(path)) queued = true;
    ctx.waitUntil(
      (async () => {
        const kick = queued && kicksRunning < MAX_KICKS_PER_ISOLATE;
        if (kick) kicksRunning++;
        try {
          if (kick) await runKick(deps, config);
        } finally {
          if (kick) kicksRunning--;
          await deps.database.close();
        }
      })(),
    );
    return response;
  },
  // The run is awaited, not handed to waitUntil: the trigger counts as done when its tasks are.
  async scheduled(controller: ScheduledController, env: WorkerEnv): Promise<void> {
    const { deps, config } = buildWorker(env, 4);
    try {
      await runScheduled(deps, config, controller.cron);
    } finally {
      await deps.database.close();
    }
  },
};
