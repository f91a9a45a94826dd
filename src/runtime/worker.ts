/**
 * Cloudflare Worker entry: the same core as the Node runtime, built per invocation from the
 * Worker's bindings. HTTP requests go to createApp; the cron trigger polls Open311 and runs one
 * round of background work. PostgreSQL is reached through Hyperdrive with postgres.js (PGlite
 * does not run in workerd); migrations are a deploy step (`silta migrate`), never run here.
 */
import areas from "../../mappings/areas.geojson";
import routing from "../../mappings/routing.yaml";
import contractorStatus from "../../mappings/status/contractor-api.yaml";
import staraStatus from "../../mappings/status/stara.yaml";
import targetsFile from "../../mappings/targets.yaml";
import writeback from "../../mappings/writeback.yaml";
import { parseConfig, type SiltaConfig } from "../config/config.ts";
import { openPostgres } from "../db/open-postgres.ts";
import type { Logger, SiltaDeps } from "../domain/deps.ts";
import { pollCaseSystem } from "../domain/intake/poll.ts";
import { runWorkOnce } from "../domain/jobs/work-loop.ts";
import { createApp } from "../http/app.ts";
import { loadMappings } from "../mappings/mappings.ts";
import { buildAppOptions, buildDeps } from "./build-deps.ts";

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
function buildWorker(env: WorkerEnv): { deps: SiltaDeps; config: SiltaConfig } {
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
    database: openPostgres(config.database.url, { maxConnections: 5, preparedStatements: false }),
    mappings,
    log: consoleLogger,
    workerId: `worker:${crypto.randomUUID()}`,
  });
  return { deps, config };
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    const { deps, config } = buildWorker(env);
    // The same app options as on Node (admin and handler tokens: those surfaces are closed without
    // them); the app lives for this one request, so no rate limits (their buckets would start full).
    const response = await createApp(deps, buildAppOptions(config, { perRequest: true })).fetch(request);
    ctx.waitUntil(deps.database.close());
    return response;
  },
  async scheduled(_controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const { deps } = buildWorker(env);
    ctx.waitUntil(
      (async () => {
        await pollCaseSystem(deps);
        await runWorkOnce(deps);
        await deps.database.close();
      })(),
    );
  },
};
