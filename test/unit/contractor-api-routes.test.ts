import openapiTS from "openapi-typescript";
import { beforeEach, describe, expect, it } from "vitest";
import { createContractorApi } from "../../src/http/contractor-api/app.ts";
import { CONTRACTOR_API_CHANGELOG } from "../../src/http/contractor-api/reference-page.ts";
import type {
  ContractorFeedItem,
  ContractorGateway,
  ContractorWorkOrderView,
  RecordEventOutcome,
} from "../../src/ports/contractor-gateway.ts";
import type { FieldEvent } from "../../src/ports/work-order-system.ts";

/** An in-memory ContractorGateway with two contractors, enough to exercise every route. */
function createFakeGateway() {
  const keys = new Map([
    ["key-a", "contractor-a"],
    ["key-b", "contractor-b"],
  ]);
  const orders: ContractorWorkOrderView[] = [];
  const feed: ContractorFeedItem[] = [];
  const idempotency = new Map<string, { bodyHash: string; eventId: string }>();
  const recorded: { targetId: string; event: FieldEvent; key: string; bodyHash: string }[] = [];

  function addOrder(
    targetId: string,
    n: number,
    extra: Partial<ContractorWorkOrderView["payload"]> = {},
  ): ContractorWorkOrderView {
    const workOrderId = `helsinki:sr-${n}:${targetId}`;
    const view: ContractorWorkOrderView = {
      workOrderId,
      serviceRequestId: `sr-${n}`,
      targetId,
      status: "sent",
      payload: { externalRef: workOrderId, serviceRequestId: `sr-${n}`, serviceCode: "2807", ...extra },
      cancelled: false,
      createdAt: "2026-11-20T08:00:00.000Z",
      updatedAt: "2026-11-20T08:00:00.000Z",
    };
    orders.push(view);
    feed.push({ cursor: String(feed.length + 1), type: "work_order.created", workOrder: view });
    return view;
  }

  const gateway: ContractorGateway = {
    async authenticate(apiKey) {
      const targetId = keys.get(apiKey);
      return targetId ? { targetId } : null;
    },
    async listFeed(targetId, cursor, limit) {
      const after = cursor === null ? 0 : Number(cursor);
      const items = feed.filter((item) => Number(item.cursor) > after && item.workOrder.targetId === targetId).slice(0, limit);
      return { items, nextCursor: items.at(-1)?.cursor ?? cursor };
    },
    async getWorkOrder(targetId, workOrderId) {
      return orders.find((order) => order.workOrderId === workOrderId && order.targetId === targetId) ?? null;
    },
    async recordEvent(targetId, event, { key, bodyHash }): Promise<RecordEventOutcome> {
      if (!orders.some((order) => order.workOrderId === event.externalRef && order.targetId === targetId)) {
        return { outcome: "not_found" };
      }
      const scoped = `${targetId}\n${key}`;
      const earlier = idempotency.get(scoped);
      if (earlier)
        return earlier.bodyHash === bodyHash ? { outcome: "replayed", eventId: earlier.eventId } : { outcome: "conflict" };
      idempotency.set(scoped, { bodyHash, eventId: event.eventId });
      recorded.push({ targetId, event, key, bodyHash });
      return { outcome: "accepted", eventId: event.eventId };
    },
  };
  return { gateway, addOrder, recorded };
}

type Fake = ReturnType<typeof createFakeGateway>;

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}
interface FeedPageBody {
  items: { cursor: string; type: string; workOrder: { workOrderId: string; status: string } }[];
  nextCursor: string | null;
}
interface OpenApiDoc {
  openapi: string;
  servers: unknown;
  components: { securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, { operationId: string; security: unknown; responses: object; parameters?: unknown[] }>>;
}

/** The JSON body typed as the test expects it; the assertions check that it really is. */
async function readJson<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

const AUTH_A = { authorization: "Bearer key-a" };
const EVENT = { status: "IN_PROGRESS", occurredAt: "2026-11-20T10:02:00+02:00", note: "Crew on site." };

function postEvent(
  app: ReturnType<typeof createContractorApi>,
  workOrderId: string,
  body: unknown,
  headers: Record<string, string>,
) {
  return app.request(`/work-orders/${encodeURIComponent(workOrderId)}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", ...AUTH_A, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Asserts the shared error shape and returns the body (printed by the matcher on failure). */
async function expectError(response: Response, status: number, code: string): Promise<ErrorBody> {
  const body = await readJson<ErrorBody>(response);
  expect({ status: response.status, body }).toMatchObject({
    status,
    body: { error: { code, message: expect.any(String), requestId: expect.any(String) } },
  });
  expect(body.error.requestId).toBe(response.headers.get("x-request-id"));
  return body;
}

describe("contractor API routes", () => {
  let fake: Fake;
  let app: ReturnType<typeof createContractorApi>;
  let ownOrder: ContractorWorkOrderView;
  let otherOrder: ContractorWorkOrderView;

  beforeEach(() => {
    fake = createFakeGateway();
    ownOrder = fake.addOrder("contractor-a", 1, { description: "Pothole", reporterEmail: null });
    otherOrder = fake.addOrder("contractor-b", 2);
    app = createContractorApi(fake.gateway);
  });

  describe("authentication", () => {
    it("answers 401 with WWW-Authenticate: Bearer without a key", async () => {
      const response = await app.request("/work-orders");
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      await expectError(response, 401, "unauthorized");
    });

    it("answers 401 for an unknown key and for a non-bearer scheme", async () => {
      for (const authorization of ["Bearer nope", "Basic a2V5LWE6", "Bearer", `Bearer ${"x".repeat(600)}`]) {
        const response = await app.request(`/work-orders/${encodeURIComponent(ownOrder.workOrderId)}`, {
          headers: { authorization },
        });
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
        await expectError(response, 401, "unauthorized");
      }
    });

    it("answers a value that cannot be a key (not token68, or not `Bearer` + space) like a missing key", async () => {
      for (const authorization of ["Bearer key-a$", "Bearer\tkey-a", "Bearer key a"]) {
        const response = await app.request("/work-orders", { headers: { authorization } });
        expect(response.headers.get("www-authenticate")).toBe('Bearer realm="silta-contractor-api"');
        const body = await expectError(response, 401, "unauthorized");
        expect(body.error.message).toContain("an API key is required");
      }
      const unknown = await app.request("/work-orders", { headers: { authorization: "Bearer nope" } });
      expect(unknown.headers.get("www-authenticate")).toBe('Bearer realm="silta-contractor-api", error="invalid_token"');
      const ok = await app.request("/work-orders", { headers: { authorization: "bearer   key-a" } });
      expect(ok.status).toBe(200);
    });

    it("checks the key before reading the body", async () => {
      const response = await postEvent(app, ownOrder.workOrderId, EVENT, {
        authorization: "Bearer nope",
        "idempotency-key": "k1",
      });
      await expectError(response, 401, "unauthorized");
      expect(fake.recorded).toHaveLength(0);
    });
  });

  describe("GET /work-orders/{workOrderId}", () => {
    it("returns the contractor's own work order with exactly the disclosed fields", async () => {
      const response = await app.request(`/work-orders/${encodeURIComponent(ownOrder.workOrderId)}`, { headers: AUTH_A });
      const body = await readJson<unknown>(response);
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(body).toEqual({
        workOrderId: ownOrder.workOrderId,
        serviceRequestId: "sr-1",
        serviceCode: "2807",
        description: "Pothole",
        reporterEmail: null,
        status: "SENT",
        cancelled: false,
        createdAt: ownOrder.createdAt,
        updatedAt: ownOrder.updatedAt,
      });
    });

    it("answers another contractor's work order exactly like a missing one: 404", async () => {
      const other = await app.request(`/work-orders/${encodeURIComponent(otherOrder.workOrderId)}`, { headers: AUTH_A });
      const missing = await app.request("/work-orders/helsinki:nope:contractor-a", { headers: AUTH_A });
      const otherBody = await expectError(other, 404, "not_found");
      const missingBody = await expectError(missing, 404, "not_found");
      expect(otherBody.error.message).toBe(missingBody.error.message);
    });
  });

  describe("POST /work-orders/{workOrderId}/events", () => {
    it("accepts an event with 202 and hands the gateway a namespaced FieldEvent and a body hash", async () => {
      const response = await postEvent(app, ownOrder.workOrderId, EVENT, { "idempotency-key": "ev-1" });
      const body = await readJson<unknown>(response);
      expect(response.status, JSON.stringify(body)).toBe(202);
      expect(body).toEqual({ eventId: "contractor-a:ev-1", status: "accepted" });
      expect(fake.recorded).toHaveLength(1);
      const [call] = fake.recorded;
      expect(call?.targetId).toBe("contractor-a");
      expect(call?.key).toBe("ev-1");
      expect(call?.bodyHash).toMatch(/^[0-9a-f]{64}$/);
      expect(call?.event).toEqual({
        eventId: "contractor-a:ev-1",
        externalRef: ownOrder.workOrderId,
        workOrderId: ownOrder.workOrderId,
        statusCode: "IN_PROGRESS",
        occurredAt: EVENT.occurredAt,
        note: "Crew on site.",
      });
    });

    it("passes an unknown status code through (the core quarantines it) and a missing note as null", async () => {
      const response = await postEvent(
        app,
        ownOrder.workOrderId,
        { status: "ON_HOLD", occurredAt: "2026-11-20T08:00:00Z" },
        { "idempotency-key": "ev-x" },
      );
      expect(response.status).toBe(202);
      expect(fake.recorded[0]?.event).toMatchObject({ statusCode: "ON_HOLD", note: null });
    });

    it("replays the same key with the same body (in any key order) with the same answer", async () => {
      const first = await postEvent(app, ownOrder.workOrderId, EVENT, { "idempotency-key": "ev-2" });
      const reordered = `{"note":"Crew on site.","occurredAt":"${EVENT.occurredAt}","status":"IN_PROGRESS"}`;
      const second = await postEvent(app, ownOrder.workOrderId, reordered, { "idempotency-key": "ev-2" });
      expect(second.status).toBe(first.status);
      expect(await second.json()).toEqual(await first.json());
      expect(fake.recorded).toHaveLength(1);
    });

    it("answers 422 when a key is reused with a different body", async () => {
      await postEvent(app, ownOrder.workOrderId, EVENT, { "idempotency-key": "ev-3" });
      const response = await postEvent(
        app,
        ownOrder.workOrderId,
        { ...EVENT, status: "COMPLETED" },
        { "idempotency-key": "ev-3" },
      );
      await expectError(response, 422, "idempotency_conflict");
      expect(fake.recorded).toHaveLength(1);
    });

    it("answers 400 without an Idempotency-Key", async () => {
      const response = await postEvent(app, ownOrder.workOrderId, EVENT, {});
      const body = await expectError(response, 400, "invalid_request");
      expect(body.error.message).toMatch(/idempotency-key/i);
      expect(fake.recorded).toHaveLength(0);
    });

    it.each([
      ["occurredAt without offset", { ...EVENT, occurredAt: "2026-11-20T10:02:00" }, "occurredAt"],
      ["missing status", { occurredAt: EVENT.occurredAt }, "status"],
      ["note over 2000 characters", { ...EVENT, note: "x".repeat(2001) }, "note"],
      ["status that is not a code", { ...EVENT, status: "in progress!" }, "status"],
    ])("answers 400 with the error shape for %s", async (_name, payload, field) => {
      const response = await postEvent(app, ownOrder.workOrderId, payload, { "idempotency-key": "ev-bad" });
      const body = await expectError(response, 400, "invalid_request");
      expect(body.error.message).toContain(field);
      expect(fake.recorded).toHaveLength(0);
    });

    it("answers 400 with the error shape for malformed JSON", async () => {
      const response = await postEvent(app, ownOrder.workOrderId, "{not json", { "idempotency-key": "ev-json" });
      await expectError(response, 400, "invalid_request");
    });

    it("answers 413 for a body over 256 KiB", async () => {
      const huge = { ...EVENT, note: "x".repeat(300 * 1024) };
      const response = await postEvent(app, ownOrder.workOrderId, huge, { "idempotency-key": "ev-huge" });
      await expectError(response, 413, "payload_too_large");
      expect(fake.recorded).toHaveLength(0);
    });

    it("answers 413 for an oversized chunked body without Content-Length", async () => {
      const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 6) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const response = await app.request(`/work-orders/${encodeURIComponent(ownOrder.workOrderId)}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "ev-stream", ...AUTH_A },
        body: stream,
        duplex: "half",
      } as RequestInit);
      await expectError(response, 413, "payload_too_large");
    });

    it("answers 404 for another contractor's work order", async () => {
      const response = await postEvent(app, otherOrder.workOrderId, EVENT, { "idempotency-key": "ev-4" });
      await expectError(response, 404, "not_found");
      expect(fake.recorded).toHaveLength(0);
    });
  });

  describe("GET /work-orders (pull feed)", () => {
    it("pages through the contractor's own feed with the cursor", async () => {
      for (let n = 3; n <= 7; n++) fake.addOrder(n % 2 === 0 ? "contractor-b" : "contractor-a", n);
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
        const response = await app.request(`/work-orders${query}`, { headers: AUTH_A });
        const body = await readJson<FeedPageBody>(response);
        expect(response.status, JSON.stringify(body)).toBe(200);
        expect(body.items.length).toBeLessThanOrEqual(2);
        if (body.items.length === 0) {
          expect(body.nextCursor).toBe(cursor);
          break;
        }
        for (const item of body.items) {
          expect(item.type).toBe("work_order.created");
          expect(item.workOrder.status).toBe("SENT");
          seen.push(item.workOrder.workOrderId);
        }
        cursor = body.nextCursor;
      }
      expect(seen).toEqual([
        "helsinki:sr-1:contractor-a",
        "helsinki:sr-3:contractor-a",
        "helsinki:sr-5:contractor-a",
        "helsinki:sr-7:contractor-a",
      ]);
    });

    it.each(["?limit=0", "?limit=501", "?limit=abc", "?cursor="])("rejects %s with 400", async (query) => {
      const response = await app.request(`/work-orders${query}`, { headers: AUTH_A });
      await expectError(response, 400, "invalid_request");
    });
  });

  describe("GET /openapi.json", () => {
    it("is versioned by semver from its changelog, newest first, each version above the one before", async () => {
      const doc = await readJson<{ info: { version: string } }>(await app.request("/openapi.json"));
      const versions = CONTRACTOR_API_CHANGELOG.map((entry) => entry.version);
      expect(doc.info.version).toBe(versions[0]);
      const parts = versions.map((v) => {
        expect(v).toMatch(/^\d+\.\d+\.\d+$/);
        return v.split(".").map(Number);
      });
      for (let i = 1; i < parts.length; i++) {
        const [a, b] = [parts[i - 1] ?? [], parts[i] ?? []];
        const newer = (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0) || (a[2] ?? 0) - (b[2] ?? 0);
        expect(newer, `${versions[i - 1]} after ${versions[i]}`).toBeGreaterThan(0);
      }
    });

    it("serves a valid OpenAPI 3.1 document listing every route, without a key", async () => {
      const response = await app.request("/openapi.json");
      expect(response.status).toBe(200);
      const doc = await readJson<OpenApiDoc>(response);
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.servers).toEqual([{ url: "/api/contractor/v1" }]);
      expect(doc.components.securitySchemes.Bearer).toMatchObject({ type: "http", scheme: "bearer" });
      const operations = Object.entries(
        doc.paths as Record<string, Record<string, { operationId: string; security: unknown }>>,
      ).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })));
      expect(operations.map(({ route, op }) => `${route} ${op.operationId}`).sort()).toEqual([
        "GET /deliveries listDeliveries",
        "GET /ping ping",
        "GET /work-orders listWorkOrderFeed",
        "GET /work-orders/{workOrderId} getWorkOrder",
        "POST /self-test selfTest",
        "POST /work-orders/{workOrderId}/events recordWorkOrderEvent",
        "POST /work-orders/{workOrderId}/photos uploadWorkOrderPhoto",
      ]);
      for (const { op } of operations) expect(op.security).toEqual([{ Bearer: [] }]);
      const events = doc.paths["/work-orders/{workOrderId}/events"]?.post;
      expect(Object.keys(events?.responses ?? {}).sort()).toEqual([
        "202",
        "400",
        "401",
        "404",
        "408",
        "413",
        "415",
        "422",
        "429",
        "500",
      ]);
      expect(events?.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ in: "header", name: "idempotency-key", required: true })]),
      );
      // openapi-typescript lints the document with Redocly and throws on any structural error.
      await expect(openapiTS(doc as unknown as Parameters<typeof openapiTS>[0], { silent: true })).resolves.toBeDefined();
    });
  });
});
