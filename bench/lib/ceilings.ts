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
