/**
 * Silta inside workerd, as the sandbox (`--runtime worker`) and the Worker tests run it: the
 * Worker bundle `wrangler deploy --dry-run` builds, loaded into Miniflare (workerd, offline) with
 * the configuration as bindings and a PostgreSQL server behind the `HYPERDRIVE` binding. Cron
 * triggers are fired on demand; HTTP goes to the URL workerd listens on.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import type { PollSummary } from "../domain/intake/poll.ts";
import type { TaskOutcome } from "../runtime/worker-tasks.ts";
import { WORKER_CRONS } from "../runtime/worker-tasks.ts";

const ROOT = resolve(import.meta.dirname, "../..");

export interface WorkerBundle {
  dir: string;
  remove(): void;
}

/** Builds the Worker bundle offline into a fresh folder (a few seconds). */
export async function buildWorkerBundle(): Promise<WorkerBundle> {
  const dir = mkdtempSync(join(tmpdir(), "silta-worker-"));
  // wrangler's own launcher would pick the system's node; run its entry on this Node (24).
  const wrangler = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
  await promisify(execFile)(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", dir], {
    cwd: ROOT,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningWorker {
  /** Where workerd listens (no trailing slash). */
  url: string;
  /** Fires one cron trigger and waits until its tasks finished; returns what each task did. */
  scheduled(cron: string): Promise<TaskOutcome[] | null>;
  /** The every-minute trigger: poll, events, jobs. */
  pollNow(): Promise<PollSummary | null>;
  /** Log lines the Worker wrote (JSON, one per line), for tests. */
  logs: string[];
  stop(): Promise<void>;
}

/**
 * Starts the Worker in workerd with `bindings` as its environment (strings, as `wrangler.toml`
 * vars and secrets would be) and `databaseUrl` as its Hyperdrive binding's connection string.
 */
export async function startWorker(
  bundle: WorkerBundle,
  bindings: Record<string, string>,
  databaseUrl: string,
): Promise<RunningWorker> {
  const logs: string[] = [];
  const texts = readdirSync(bundle.dir).filter((file) => file.endsWith(".yaml") || file.endsWith(".geojson"));
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "silta",
      modules: [
        { type: "ESModule", path: join(bundle.dir, "worker.js") },
        ...texts.map((file) => ({ type: "Text" as const, path: join(bundle.dir, file) })),
      ],
      modulesRoot: bundle.dir,
      compatibilityDate: "2026-11-01",
      compatibilityFlags: ["nodejs_compat"],
      bindings: { ...bindings, DATABASE_URL: databaseUrl },
      handleStructuredLogs: (log: { message: string }) => {
        logs.push(log.message);
      },
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const url = String(await mf.ready).replace(/\/$/, "");
  const worker = await mf.getWorker();
  const scheduled = async (cron: string): Promise<TaskOutcome[] | null> => {
    await worker.scheduled({ cron, scheduledTime: new Date() });
    return null;
  };
  return {
    url,
    logs,
    scheduled,
    async pollNow() {
      await scheduled(WORKER_CRONS.work);
      return null;
    },
    stop: () => mf.dispose(),
  };
}
