import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxEvents, links } from "../../src/db/schema/index.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { ADMIN_TOKEN, createHttpFixture, HANDLER_TOKEN, type HttpFixture } from "./http-admin-fixture.ts";

/**
 * The cross-contractor access matrix (S3): contractor A against B's work orders, events and
 * deliveries; contractor keys against admin routes; no token and wrong tokens everywhere.
 */
let f: HttpFixture;
const refs = { east: "", west: "" };
const API = "/api/contractor/v1";

beforeAll(async () => {
  f = await createHttpFixture();
  const east = makeCase({ ...PLACES.east });
  const west = makeCase({ ...PLACES.west });
  await f.deliver(east, west);
  for (const [side, record] of [
    ["east", east],
    ["west", west],
  ] as const) {
    const [link] = await f.database.db.select().from(links).where(eq(links.caseId, record.serviceRequestId));
    refs[side] = link?.externalRef ?? "";
  }
  // One failed and one pending delivery per contractor, for the self-service log.
  f.targets.east.failures.push({ error: new SiltaError("target_rejected", "east refused", { httpStatus: 422 }) });
  f.targets.west.failures.push({ error: new SiltaError("target_rejected", "west refused", { httpStatus: 422 }) });
  await f.deliver(makeCase({ ...PLACES.east }), makeCase({ ...PLACES.west }));
}, 60_000);
afterAll(async () => f?.dispose());

const event = (status = "RECEIVED") => JSON.stringify({ status, occurredAt: new Date().toISOString() });
const wo = (ref: string) => `${API}/work-orders/${encodeURIComponent(ref)}`;

describe("contractor A against contractor B", () => {
  it("reads its own work order and gets 404 for the other's", async () => {
    expect((await f.request(wo(refs.east), { token: f.keys.east })).status).toBe(200);
    expect((await f.request(wo(refs.west), { token: f.keys.west })).status).toBe(200);
    for (const [key, other] of [
      [f.keys.east, refs.west],
      [f.keys.west, refs.east],
    ] as const) {
      const response = await f.request(wo(other), { token: key });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });

  it("cannot post events to the other's work order, and nothing is stored", async () => {
    const before = (await f.database.db.select().from(inboxEvents)).length;
    for (const [key, other] of [
      [f.keys.east, refs.west],
      [f.keys.west, refs.east],
    ] as const) {
      const response = await f.request(`${wo(other)}/events`, {
        method: "POST",
        token: key,
        headers: { "idempotency-key": `x-${other}` },
        body: event(),
      });
      expect(response.status).toBe(404);
    }
    expect((await f.database.db.select().from(inboxEvents)).length).toBe(before);
    const own = await f.request(`${wo(refs.east)}/events`, {
      method: "POST",
      token: f.keys.east,
      headers: { "idempotency-key": "own-1" },
      body: event(),
    });
    expect(own.status).toBe(202);
  });

  it("sees only its own work orders in the feed", async () => {
    for (const [key, target] of [
      [f.keys.east, "contractor-east"],
      [f.keys.west, "contractor-west"],
    ] as const) {
      const page = (await (await f.request(`${API}/work-orders?limit=500`, { token: key })).json()) as {
        items: { workOrder: { workOrderId: string } }[];
      };
      expect(page.items.length).toBeGreaterThan(0);
      for (const item of page.items) expect(item.workOrder.workOrderId.endsWith(`:${target}`)).toBe(true);
    }
  });

  it("sees only its own deliveries in the self-service log, without payloads or error text", async () => {
    for (const [key, target, other] of [
      [f.keys.east, "contractor-east", "contractor-west"],
      [f.keys.west, "contractor-west", "contractor-east"],
    ] as const) {
      const response = await f.request(`${API}/deliveries?state=failed`, { token: key });
      const text = await response.text();
      expect(response.status, text).toBe(200);
      const log = JSON.parse(text) as {
        items: { workOrderId: string; state: string; lastErrorCode: string; lastHttpStatus: number }[];
      };
      expect(log.items).toHaveLength(1);
      expect(log.items[0]).toMatchObject({ state: "dead", lastErrorCode: "target_rejected", lastHttpStatus: 422 });
      expect(log.items[0]?.workOrderId.endsWith(`:${target}`)).toBe(true);
      expect(text).not.toContain(other);
      expect(text).not.toContain("refused");
      const pending = (await (await f.request(`${API}/deliveries?state=pending`, { token: key })).json()) as { items: unknown[] };
      expect(pending.items).toEqual([]);
    }
    expect((await f.request(`${API}/deliveries?state=everything`, { token: f.keys.east })).status).toBe(400);
  });

  it("lists a delivery still being retried as pending", async () => {
    f.targets.east.failures.push({ error: new SiltaError("target_unavailable", "east down", { httpStatus: 503 }) });
    f.targets.east.failures.push({ error: new SiltaError("target_unavailable", "east down", { httpStatus: 503 }) });
    const record = makeCase({ ...PLACES.east });
    const { ingestCases } = await import("../../src/domain/intake/ingest.ts");
    const { runDueJobs } = await import("../../src/domain/jobs/lifecycle.ts");
    await ingestCases(f.deps, [record]);
    await runDueJobs(f.deps);
    const log = (await (await f.request(`${API}/deliveries?state=pending`, { token: f.keys.east })).json()) as {
      items: { state: string; lastErrorCode: string }[];
    };
    expect(log.items).toContainEqual(expect.objectContaining({ state: "pending", lastErrorCode: "target_unavailable" }));
  });
});

describe("credentials", () => {
  const contractorRoutes = () => [
    { method: "GET", path: `${API}/work-orders` },
    { method: "GET", path: wo(refs.east) },
    { method: "POST", path: `${wo(refs.east)}/events`, body: event() },
    { method: "GET", path: `${API}/deliveries` },
  ];

  it("no token, a wrong token, an admin token or a handler token answer 401 on every contractor route", async () => {
    for (const route of contractorRoutes()) {
      for (const token of [null, "silta_not-a-real-key", ADMIN_TOKEN, HANDLER_TOKEN]) {
        const response = await f.request(route.path, {
          method: route.method,
          token,
          headers: { "idempotency-key": "k" },
          ...(route.body ? { body: route.body } : {}),
        });
        expect(response.status, `${route.method} ${route.path} with ${token}`).toBe(401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    }
  });

  it("contractor keys answer 403 on admin routes, the console refuses them too", async () => {
    for (const key of [f.keys.east, f.keys.west]) {
      for (const path of [
        "/api/admin/v1/overview",
        "/api/admin/v1/failures",
        `/api/admin/v1/cases/x`,
        "/api/admin/v1/contractors/contractor-east/keys",
      ]) {
        expect((await f.request(path, { token: key })).status).toBe(403);
      }
      const login = await f.request("/admin/login", {
        method: "POST",
        body: new URLSearchParams({ token: key }),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(login.status).toBe(401);
      expect(login.headers.get("set-cookie")).toBeNull();
    }
  });

  it("contractor keys cannot read handlers' case pages", async () => {
    const [link] = await f.database.db.select().from(links).where(eq(links.externalRef, refs.east));
    for (const path of [`/cases/${link?.caseId}`, `/api/v1/cases/${link?.caseId}`]) {
      expect((await f.request(path, { token: f.keys.east })).status).toBe(401);
      expect((await f.request(`${path}?token=${encodeURIComponent(f.keys.east)}`)).status).toBe(401);
    }
  });
});
