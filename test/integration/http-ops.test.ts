import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import { createNodeMetrics } from "../../src/runtime/metrics-node.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { createHttpFixture, type HttpFixture, shippedMigrationCount } from "./http-admin-fixture.ts";

let f: HttpFixture;
beforeAll(async () => {
  f = await createHttpFixture();
});
afterAll(async () => f?.dispose());

describe("health and readiness", () => {
  it("/healthz answers ok without touching the database", async () => {
    expect(await (await f.request("/healthz")).json()).toEqual({ status: "ok" });
  });

  it("/readyz is ready when every shipped migration is applied", async () => {
    const response = await f.request("/readyz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ready",
      migrations: { applied: shippedMigrationCount(), expected: shippedMigrationCount() },
    });
  });

  it("/readyz answers 503 when intake is stale, with the last failure's reason, and 200 again after a poll succeeds", async () => {
    const since = new Date(Date.now() - 20 * 60_000);
    const app = createApp(f.deps, { intakeHealth: { staleMs: 15 * 60_000, since } });
    await f.deps.database.rows(sql`delete from poll_cursors where name like 'open311:last_%'`);
    await f.deps.database.rows(
      sql`insert into poll_cursors (name, position) values ('open311:last_failure', ${JSON.stringify({ at: new Date().toISOString(), reason: "case_system_unavailable: Open311 answered HTTP 503" })})`,
    );
    const stale = await app.request("/readyz");
    expect(stale.status).toBe(503);
    expect(await stale.json()).toMatchObject({
      status: "not_ready",
      reason: expect.stringMatching(/intake stale/),
      intake: { lastSuccessAt: null, lastFailureReason: expect.stringMatching(/HTTP 503/) },
    });
    await f.deps.database.rows(
      sql`insert into poll_cursors (name, position) values ('open311:last_success_at', ${new Date().toISOString()})`,
    );
    const fresh = await app.request("/readyz");
    expect(fresh.status).toBe(200);
    await f.deps.database.rows(sql`delete from poll_cursors where name like 'open311:last_%'`);
  });

  it("/readyz answers 503 when the build ships a migration the database lacks", async () => {
    const app = createApp(f.deps, { expectedMigrations: shippedMigrationCount() + 1 });
    const response = await app.request("/readyz");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "not_ready", migrations: { applied: shippedMigrationCount() } });
  });

  it("/readyz answers 503 when the database is unreachable, without connection details", async () => {
    const broken = {
      ...f.deps,
      database: {
        ...f.deps.database,
        rows: async () => Promise.reject(new Error("connect ECONNREFUSED postgres://user:secret@db")),
      },
    };
    const response = await createApp(broken).request("/readyz");
    expect(response.status).toBe(503);
    expect(await response.text()).not.toContain("secret");
  });
});

describe("/metrics", () => {
  it("is 404 where no registry is configured", async () => {
    expect((await f.request("/metrics")).status).toBe(404);
  });

  it("exposes deliveries, retries, dead letters, latency and backlog per target in Prometheus format, without case ids", async () => {
    const node = createNodeMetrics(f.database);
    const deps = { ...f.deps, metrics: node.metrics };
    const app = createApp(deps, { metrics: node });
    const ok = makeCase({ ...PLACES.west });
    const dead = makeCase({ ...PLACES.east });
    f.targets.east.failures.push({ error: new SiltaError("target_rejected", "no", { httpStatus: 422 }) });
    const { ingestCases } = await import("../../src/domain/intake/ingest.ts");
    const { runWorkOnce } = await import("../../src/domain/jobs/work-loop.ts");
    await ingestCases(deps, [ok, dead]);
    await runWorkOnce(deps);
    f.targets.west.failures.push({ error: new SiltaError("target_unavailable", "down", { httpStatus: 503 }) });
    await ingestCases(deps, [makeCase({ ...PLACES.west })]);
    await runWorkOnce(deps);
    const response = await app.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toMatch(/silta_deliveries_total\{target="contractor-west",kind="create_work_order",outcome="done"\} [1-9]/);
    expect(text).toMatch(
      /silta_dead_letters_total\{target="contractor-east",kind="create_work_order",outcome="target_rejected"\} 1/,
    );
    expect(text).toMatch(
      /silta_retries_total\{target="contractor-west",kind="create_work_order",outcome="target_unavailable"\} 1/,
    );
    expect(text).toMatch(
      /silta_delivery_duration_seconds_bucket\{le="[^"]+",target="contractor-west",kind="create_work_order",outcome="done"\}/,
    );
    expect(text).toMatch(/silta_backlog_age_seconds\{target="contractor-west",kind="create_work_order"\} \d/);
    expect(text).toMatch(/silta_dead_letters\{target="contractor-east",kind="create_work_order"\} 1/);
    expect(text).toMatch(/silta_jobs\{state="dead",target="contractor-east",kind="create_work_order"\} 1/);
    for (const record of [ok, dead]) expect(text).not.toContain(record.serviceRequestId);
    const labelNames = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((m) => m[1]));
    expect([...labelNames].sort()).toEqual(["kind", "le", "level", "outcome", "state", "target"]);
    expect(text).toMatch(/silta_late_answer_alarms\{level="warning"\} \d/);
  });
});

describe("request logging", () => {
  it("logs one JSON line per request with ids and status, never the query string", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = { debug() {}, warn() {}, error() {}, info: (fields: Record<string, unknown>) => lines.push(fields) };
    const app = createApp({ ...f.deps, log }, { handlerTokens: ["handler-token-0123456789abcdefXYZ"] });
    await app.request("/api/v1/cases/x?token=handler-token-0123456789abcdefXYZ");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: "GET", path: "/api/v1/cases/x", status: 404 });
    expect(JSON.stringify(lines)).not.toContain("handler-token");
  });
});
