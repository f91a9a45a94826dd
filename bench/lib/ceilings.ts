import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { Database } from "../../src/db/client.ts";
import { startHttpServer } from "../../src/runtime/node-serve.ts";

/** Runs `task` from `concurrency` lanes for `ms` and returns completions per second. */
async function rate(concurrency: number, ms: number, task: () => Promise<void>): Promise<number> {
  const until = performance.now() + ms;
  let done = 0;
  const lane = async () => {
    while (performance.now() < until) {
      await task();
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  return Math.round(done / ((performance.now() - started) / 1000));
}

/**
 * The loopback ceiling: requests per second a minimal client gets from a minimal Hono server at
 * the same concurrency Silta uses, and from the target simulator's own lookup endpoint.
 */
export async function measureHttpCeiling(concurrency: number, simulatorUrl: string | null, headers: Record<string, string> = {}) {
  const app = new Hono().get("/ping", (c) => c.json({ ok: true }));
  const server = await startHttpServer(app);
  try {
    const minimal = await rate(concurrency, 2000, async () => {
      await (await fetch(`${server.url}/ping`)).arrayBuffer();
    });
    const simulator = simulatorUrl
      ? await rate(concurrency, 2000, async () => {
          await (await fetch(simulatorUrl, { headers })).arrayBuffer();
        })
      : null;
    return { minimalServerRps: minimal, simulatorEndpointRps: simulator };
  } finally {
    await server.close();
  }
}

/** The database ceiling: small committed transactions per second at the given concurrency. */
export async function measureCommitCeiling(database: Database, concurrency: number): Promise<number> {
  await database.rows(
    sql`create table if not exists bench_commit_probe (id bigserial primary key, at timestamptz not null default now(), v text)`,
  );
  try {
    return await rate(concurrency, 2000, async () => {
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into bench_commit_probe (v) values ('x')`);
      });
    });
  } finally {
    await database.rows(sql`drop table if exists bench_commit_probe`);
  }
}

/**
 * The most round trips per second the two ceilings allow at a round trip's cost, were it nothing
 * but its commits and HTTP calls. Each ceiling was measured with the whole machine, so a round
 * trip's shares of them add up: 1 / (commits / commit ceiling + calls / HTTP ceiling).
 */
export function ceilingBound(
  perRoundTrip: { commits: number; httpCalls: number },
  ceilings: { commitsPerSecond: number; requestsPerSecond: number },
): number {
  if (ceilings.commitsPerSecond <= 0 || ceilings.requestsPerSecond <= 0) throw new Error("ceilingBound: a ceiling of 0");
  const seconds = perRoundTrip.commits / ceilings.commitsPerSecond + perRoundTrip.httpCalls / ceilings.requestsPerSecond;
  return seconds > 0 ? Math.round(1 / seconds) : Number.POSITIVE_INFINITY;
}
