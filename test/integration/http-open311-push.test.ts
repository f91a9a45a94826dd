import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpen311CaseSystem } from "../../adapters/open311/client.ts";
import { cases, links, outboxJobs } from "../../src/db/schema/index.ts";
import type { Logger, SiltaDeps } from "../../src/domain/deps.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { createApp } from "../../src/http/app.ts";
import { generateWebhookSecret, signWebhook } from "../../src/lib/webhook-signature.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, PLACES } from "../support/fakes.ts";

/**
 * Push intake (`POST /intake/open311`) over Silta's whole app, with the real Open311 adapter
 * reading the pushes: what a signed push stores and queues, what a refused one leaves (nothing),
 * and that a re-sent push creates nothing twice.
 */
const [secret, nextSecret] = [generateWebhookSecret(), generateWebhookSecret()];
const CANARY = { email: "push.canary@example.org", name: "Pushcanary" };
let database: TestDatabase;
let deps: SiltaDeps;
let east: FakeWorkOrderSystem;
let queuedCalls = 0;
const logged: string[] = [];
const capture = (fields: Record<string, unknown>, message?: string) => logged.push(`${message} ${JSON.stringify(fields)}`);
const log: Logger = { debug: capture, info: capture, warn: capture, error: capture };

let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  database = await createTestDatabase();
  east = new FakeWorkOrderSystem("contractor-east");
  const caseSystem = createOpen311CaseSystem({ baseUrl: "http://127.0.0.1:9", pushSecrets: [secret, nextSecret] });
  deps = { ...makeDeps(database, caseSystem, [east, new FakeWorkOrderSystem("contractor-west")]), log };
  app = createApp(deps, {
    onCasesQueued: () => {
      queuedCalls++;
    },
  });
}, 60_000);
afterAll(async () => database?.dispose());

let seq = 0;
function wire(overrides: Record<string, unknown> = {}) {
  seq++;
  return {
    service_request_id: `2026-push-${String(seq).padStart(4, "0")}`,
    service_code: "171",
    status: "open",
    description: "Kuoppa ajoradalla",
    lat: PLACES.east.lat,
    long: PLACES.east.long,
    requested_datetime: "2026-12-05T09:00:00+02:00",
    updated_datetime: "2026-12-05T09:00:00+02:00",
    extended_attributes: { detailed_status: "RECEIVED" },
    ...overrides,
  };
}

let messages = 0;
function push(body: unknown, secrets: string[] = [secret], init: { raw?: string } = {}) {
  const text = init.raw ?? JSON.stringify(body);
  messages++;
  return app.request("/intake/open311", {
    method: "POST",
    body: text,
    headers: { "content-type": "application/json", ...signWebhook(secrets, text, `msg_push_${messages}`) },
  });
}

const caseCount = async () => (await database.db.select({ n: count() }).from(cases))[0]?.n ?? 0;

describe("push intake", () => {
  it("takes a signed push: stores and routes the cases, queues their work orders, and reports a bad row by position", async () => {
    const fieldWork = wire();
    const notFieldWork = wire({ service_code: "2806" });
    const bad = { ...wire({ first_name: CANARY.name, email: CANARY.email }), status: undefined };
    const response = await push([fieldWork, bad, notFieldWork]);
    expect(response.status, await response.clone().text()).toBe(200);
    const answer = (await response.json()) as { rejected: unknown };
    expect(answer).toMatchObject({ seen: 2, new: 2, routed: 1, excluded: 1 });
    expect(answer.rejected).toEqual([
      { index: 1, serviceRequestId: bad.service_request_id, reason: expect.stringContaining("status") },
    ]);
    expect(queuedCalls).toBe(1);

    const [link] = await database.db.select().from(links).where(eq(links.caseId, fieldWork.service_request_id));
    expect(link?.target).toBe("contractor-east");
    await drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
    expect([...east.orders.values()].map((o) => o.payload.externalRef)).toContain(link?.externalRef);
  });

  it("a re-sent push (new message id, same cases) changes nothing and queues nothing", async () => {
    const record = wire();
    expect((await push([record])).status).toBe(200);
    const jobs = (await database.db.select({ n: count() }).from(outboxJobs))[0]?.n;
    const before = queuedCalls;
    const again = await push([record], [nextSecret]);
    expect(await again.json()).toMatchObject({ seen: 1, new: 0, unchanged: 1, routed: 0 });
    expect((await database.db.select({ n: count() }).from(outboxJobs))[0]?.n).toBe(jobs);
    expect(queuedCalls).toBe(before);
  });

  it("takes one service request on its own, not only a list", async () => {
    const record = wire();
    const answer = await (await push(record)).json();
    expect(answer).toMatchObject({ new: 1, routed: 1, rejected: [] });
  });

  it("refuses a push with a wrong, missing or stale signature and stores nothing", async () => {
    const before = await caseCount();
    expect((await push([wire()], [generateWebhookSecret()])).status).toBe(401);
    const unsigned = await app.request("/intake/open311", {
      method: "POST",
      body: JSON.stringify([wire()]),
      headers: { "content-type": "application/json" },
    });
    expect(unsigned.status).toBe(401);
    const text = JSON.stringify([wire()]);
    const stale = await app.request("/intake/open311", {
      method: "POST",
      body: text,
      headers: {
        "content-type": "application/json",
        ...signWebhook([secret], text, "msg_stale", new Date(Date.now() - 3_600_000)),
      },
    });
    expect(stale.status).toBe(401);
    expect(await caseCount()).toBe(before);
  });

  it("answers 400 for a signed body that is not a case list, 413 for one over 1 MiB, and stores nothing", async () => {
    const before = await caseCount();
    expect((await push(null, [secret], { raw: "{not json" })).status).toBe(400);
    expect((await push("just a string")).status).toBe(400);
    expect((await push(42)).status).toBe(400);
    const huge = [wire({ description: "x".repeat(1024 * 1024) })];
    expect((await push(huge)).status).toBe(413);
    expect(await caseCount()).toBe(before);
  });

  it("never logs a refused row's personal data", () => {
    const text = logged.join("\n");
    expect(text).toContain("pushed open311 record refused");
    expect(text).not.toContain(CANARY.email);
    expect(text).not.toContain(CANARY.name);
  });

  it("answers 429 with Retry-After when pushes exceed the webhook limit", async () => {
    const limited = createApp(deps, { rateLimits: { ...limits, webhook: { perSecond: 0.01, burst: 1 } } });
    const send = (record: unknown) => {
      const text = JSON.stringify([record]);
      return limited.request("/intake/open311", {
        method: "POST",
        body: text,
        headers: { "content-type": "application/json", ...signWebhook([secret], text, `msg_rl_${seq}`) },
      });
    };
    expect((await send(wire())).status).toBe(200);
    const refused = await send(wire());
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("is off (404, naming the setting) when no push secret is configured", async () => {
    const off = createApp({ ...deps, caseSystem: new FakeCaseSystem() });
    const response = await off.request("/intake/open311", { method: "POST", body: "[]" });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("SILTA_OPEN311_PUSH_SECRETS");
  });
});

const limits = {
  contractor: { perSecond: 0, burst: 1 },
  admin: { perSecond: 0, burst: 1 },
  login: { perSecond: 0, burst: 1 },
  webhook: { perSecond: 0, burst: 1 },
};
