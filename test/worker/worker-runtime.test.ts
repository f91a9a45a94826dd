import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { runUntilSettled } from "../../src/sandbox/settle.ts";
import { sandboxPassed, summarizeSandbox } from "../../src/sandbox/summary.ts";
import { createServerDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { PG_TEMPLATE_DATABASE } from "../support/paths.ts";

/**
 * Silta as a Cloudflare Worker, for real: the bundle `wrangler deploy --dry-run` builds, run in
 * workerd (Miniflare) against the simulators on loopback and a PostgreSQL server (workerd cannot
 * open PGlite, so these tests run where DATABASE_URL names a server: CI's second `npm test`).
 */
const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write(
    "\n*** WORKER TESTS SKIPPED: workerd needs a PostgreSQL server. Run them with DATABASE_URL=postgres://… npm test (CI does). ***\n",
  );
}

let sandbox: Sandbox;
let database: TestDatabase;
let settled = false;
const form = (fields: Record<string, string>) => ({
  method: "POST",
  body: new URLSearchParams(fields),
  headers: { "content-type": "application/x-www-form-urlencoded" },
  redirect: "manual" as const,
});

beforeAll(async () => {
  if (!url) return;
  database = await createServerDatabase(url, { template: PG_TEMPLATE_DATABASE });
  sandbox = await startSandbox({
    runtime: "worker",
    seed: 41,
    cases: 40,
    database,
    ...(database.url ? { databaseUrl: database.url } : {}),
    port: 0,
    mappingsDir: MAPPINGS_DIR,
    pollIntervalMs: 300,
    fieldDelayMs: { min: 10, max: 80 },
    cancelFraction: 0.05,
  });
  settled = await runUntilSettled(sandbox, { timeoutMs: 120_000, pollIntervalMs: 300 });
}, 240_000);

afterAll(async () => {
  await sandbox?.stop();
  await database?.dispose();
});

describe.runIf(url)("the Worker in workerd", () => {
  it("carries cases end to end: nothing lost or duplicated, balanced, field status written back", async () => {
    expect(settled).toBe(true);
    const summary = await summarizeSandbox(sandbox, { seed: 41, settled, seconds: 0 });
    expect(summary).toMatchObject({ runtime: "worker", cases: 40, lost: 0, duplicateWorkOrders: 0, ledgerBalanced: true });
    expect(summary.fieldStatusesWrittenBack).toBeGreaterThan(10);
    expect(sandboxPassed(summary)).toBe(true);
  });

  it("serves the admin API, the console and the handler page with the configured tokens", async () => {
    const base = sandbox.silta.url;
    const auth = { authorization: `Bearer ${sandbox.adminToken}` };
    expect((await fetch(`${base}/api/admin/v1/overview`)).status).toBe(401);
    const overview = await fetch(`${base}/api/admin/v1/overview`, { headers: auth });
    expect(overview.status).toBe(200);
    const body = (await overview.json()) as { links: { state: string; n: number }[] };
    expect(body.links.filter((l) => l.state === "forwarded").reduce((sum, l) => sum + l.n, 0)).toBeGreaterThan(10);

    const login = await fetch(`${base}/admin/login`, form({ token: sandbox.adminToken }));
    expect(login.status).toBe(303);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const page = await fetch(`${base}/admin`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<h1");

    const [routed] = await database.rows<{ id: string }>(sql`select case_id as id from links where state = 'forwarded' limit 1`);
    expect(routed).toBeDefined();
    expect((await fetch(`${base}/api/v1/cases/${routed?.id}`)).status).toBe(401);
    const status = await fetch(`${base}/api/v1/cases/${routed?.id}`, { headers: auth });
    expect(status.status).toBe(200);
    const handlerPage = await fetch(`${base}/cases/${routed?.id}?token=${encodeURIComponent(sandbox.adminToken)}`);
    expect(handlerPage.status).toBe(200);
    expect(handlerPage.headers.get("content-type")).toContain("text/html");
  });

  it("hands over every key, and each works against the Worker: handler page, contractor API, webhook secrets", async () => {
    const info = await sandbox.info();
    expect(Object.keys(info)).toEqual(
      expect.arrayContaining(["urls", "adminToken", "handlerToken", "contractorKeys", "webhookSecrets", "database"]),
    );
    expect(info.urls.silta).toBe(sandbox.silta.url);
    const page = await fetch(info.urls.handlerPage);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(Object.keys(info.contractorKeys).sort()).toEqual(["contractor-east", "contractor-west"]);
    for (const key of Object.values(info.contractorKeys)) {
      const list = await fetch(`${info.urls.silta}/api/contractor/v1/work-orders`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(list.status).toBe(200);
    }
    expect(Object.keys(info.webhookSecrets)).toEqual(expect.arrayContaining(["stara", "contractor-east", "contractor-west"]));
    expect(info.database).toMatchObject({ kind: "postgres" });
  });

  it("is ready only with every migration applied, and serves its metrics from the database", async () => {
    const ready = await fetch(`${sandbox.silta.url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${sandbox.silta.url}/metrics`)).text();
    expect(metrics).toMatch(/^silta_open311_last_success_timestamp_seconds \d/m);
    expect(metrics).toContain("# TYPE silta_jobs gauge");
    // One migration fewer than the bundle ships: not ready.
    await database.rows(
      sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`,
    );
    const behind = await fetch(`${sandbox.silta.url}/readyz`);
    expect(behind.status).toBe(503);
  });

  it("keeps delivering and writing back while the Open311 read API is down", async () => {
    const [before] = await database.rows<{ n: number; at: string }>(
      sql`select count(*)::int as n, now()::text as at from links where state = 'forwarded'`,
    );
    sandbox.helsinki.sim.setKnobs({ readOutage: true });
    try {
      // New cases reach Silta by the city's push; every poll fails meanwhile.
      sandbox.addCases(10);
      const deadline = Date.now() + 90_000;
      let forwarded = before?.n ?? 0;
      let written = 0;
      while (Date.now() < deadline) {
        await sandbox.silta.pollNow();
        const [row] = await database.rows<{ forwarded: number; written: number }>(sql`
          select count(*) filter (where state = 'forwarded')::int as forwarded,
                 count(*) filter (where written_back_at > ${before?.at}::timestamptz)::int as written
          from links`);
        forwarded = row?.forwarded ?? 0;
        written = row?.written ?? 0;
        if (forwarded >= (before?.n ?? 0) + 8 && written >= 5) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      // Work orders for the pushed cases, and statuses written back, all while every read failed.
      expect(forwarded).toBeGreaterThanOrEqual((before?.n ?? 0) + 8);
      expect(written).toBeGreaterThanOrEqual(5);
      const [failure] = await database.rows<{ position: string }>(
        sql`select position from poll_cursors where name = 'open311:last_failure'`,
      );
      expect(failure?.position).toMatch(/503/);
      const logs = (sandbox.silta.logs ?? []).map((line) => JSON.parse(line) as Record<string, unknown>);
      // In the same scheduled runs as the failed polls, the work tasks still ran.
      const minute = logs.filter((line) => line.trigger === "* * * * *");
      const failedPoll = minute.findIndex(
        (line) => line.task === "poll" && line.message === "worker task failed; the others still run",
      );
      expect(failedPoll).toBeGreaterThanOrEqual(0);
      expect(minute.slice(failedPoll + 1, failedPoll + 3)).toEqual([
        expect.objectContaining({ task: "apply field events", message: "worker task done" }),
        expect.objectContaining({ task: "run jobs", message: "worker task done" }),
      ]);
    } finally {
      sandbox.helsinki.sim.setKnobs({ readOutage: false });
    }
  });
});
