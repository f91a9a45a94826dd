import { spawnSync } from "node:child_process";
import { existsSync, globSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import postgres from "postgres";
import { startChildServer } from "./child-server.ts";

/**
 * Ceilings measured by tools from outside the project, in the same run as Silta: what the
 * machine's PostgreSQL commits (pgbench) and what its HTTP stack serves (autocannon against a
 * minimal Hono server in its own process). The bench's own ceilings (drizzle transactions, an
 * in-process fetch client) understate the machine several times over.
 */
export interface OutsideCeilings {
  pgbench: { commitsPerSecond: number; clients: number; seconds: number } | { error: string };
  autocannon: { requestsPerSecond: number; connections: number; seconds: number } | { error: string };
}

const SECONDS = 5;
const PGBENCH_CLIENTS = 8;
const AUTOCANNON_CONNECTIONS = 10;
const MINIMAL_SERVER = fileURLToPath(new URL("./minimal-hono-server.ts", import.meta.url));

/** pgbench on PATH, else the newest in Debian's /usr/lib/postgresql/<version>/bin. */
function findPgbench(): string | null {
  if (process.env.PGBENCH) return process.env.PGBENCH;
  if (spawnSync("pgbench", ["--version"], { encoding: "utf8" }).status === 0) return "pgbench";
  const found = globSync("/usr/lib/postgresql/*/bin/pgbench").sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return found.at(-1) ?? null;
}

/** One-row inserts (autocommit, one commit each) from 8 clients for 5 s: committed transactions per second. */
export async function measurePgbench(databaseUrl: string): Promise<OutsideCeilings["pgbench"]> {
  const pgbench = findPgbench();
  if (!pgbench) return { error: "pgbench not found (Debian: postgresql-client or the server package; or set PGBENCH)" };
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const dir = mkdtempSync(join(tmpdir(), "silta-pgbench-"));
  try {
    await admin.unsafe(
      "create table if not exists bench_pgbench_probe (id bigserial primary key, at timestamptz not null default now(), v text)",
    );
    const script = join(dir, "insert.sql");
    writeFileSync(script, "insert into bench_pgbench_probe (v) values ('x');\n");
    const run = spawnSync(
      pgbench,
      ["-n", "-c", String(PGBENCH_CLIENTS), "-j", "2", "-T", String(SECONDS), "-f", script, databaseUrl],
      { encoding: "utf8", timeout: (SECONDS + 30) * 1000 },
    );
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(run.stdout ?? "")?.[1];
    if (!tps) return { error: `pgbench exited ${run.status}: ${(run.stderr || run.stdout || "").slice(-300)}` };
    return { commitsPerSecond: Math.round(Number(tps)), clients: PGBENCH_CLIENTS, seconds: SECONDS };
  } finally {
    await admin.unsafe("drop table if exists bench_pgbench_probe").catch(() => {});
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** autocannon (10 connections, 5 s) against a minimal Hono server in a process of its own: requests per second. */
export async function measureAutocannon(): Promise<OutsideCeilings["autocannon"]> {
  if (!existsSync(MINIMAL_SERVER)) return { error: `${MINIMAL_SERVER} missing` };
  let server: Awaited<ReturnType<typeof startChildServer>> | undefined;
  try {
    server = await startChildServer(MINIMAL_SERVER);
    const { url } = server;
    const result = await autocannon({ url: `${url}/ping`, connections: AUTOCANNON_CONNECTIONS, duration: SECONDS });
    if (result.non2xx > 0 || result.errors > 0)
      return { error: `autocannon saw ${result.non2xx} non-2xx answers and ${result.errors} errors` };
    return { requestsPerSecond: Math.round(result.requests.average), connections: AUTOCANNON_CONNECTIONS, seconds: SECONDS };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  } finally {
    server?.child.kill("SIGTERM");
  }
}
