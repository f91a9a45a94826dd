import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createContractorApiWorkOrderSystem } from "../../adapters/contractor-api/client.ts";
import { type RunningContractorSimulator, startContractorSimulator } from "../../adapters/contractor-api/simulator/serve.ts";
import { createContractorApi } from "../../src/http/contractor-api/app.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import { type CanonicalStatus, isCanonicalStatus, isTerminal, judgeTransition } from "../../src/kernel/status.ts";
import { generateWebhookSecret } from "../../src/lib/webhook-signature.ts";
import type {
  ContractorFeedItem,
  ContractorGateway,
  ContractorWorkOrderView,
  RecordEventOutcome,
} from "../../src/ports/contractor-gateway.ts";
import type { FieldEvent, WorkOrderPayload, WorkOrderSystem } from "../../src/ports/work-order-system.ts";
import { type RunningServer, startHttpServer } from "../../src/runtime/node-serve.ts";

const TARGET = "contractor-a";
const API_KEY = "sim-key";
const FAST = { minDelayMs: 5, maxDelayMs: 30 };

/**
 * A small stand-in for Silta's core behind the contractor API: work orders it "sent", an inbox
 * de-duplicated by Idempotency-Key, and the link status moved forward only (as the core does).
 */
function createFakeSilta() {
  const orders = new Map<string, ContractorWorkOrderView>();
  const feed: ContractorFeedItem[] = [];
  const inbox = new Map<string, { bodyHash: string; event: FieldEvent }>();
  const calls: { key: string; outcome: RecordEventOutcome["outcome"]; statusCode: string }[] = [];

  const gateway: ContractorGateway = {
    async authenticate(apiKey) {
      return apiKey === API_KEY ? { targetId: TARGET } : null;
    },
    async listFeed(targetId, cursor, limit) {
      const after = cursor === null ? 0 : Number(cursor);
      const items = feed.filter((item) => Number(item.cursor) > after && item.workOrder.targetId === targetId).slice(0, limit);
      return { items, nextCursor: items.at(-1)?.cursor ?? cursor };
    },
    async getWorkOrder(targetId, workOrderId) {
      const view = orders.get(workOrderId);
      return view && view.targetId === targetId ? view : null;
    },
    async recordEvent(targetId, event, { key, bodyHash }) {
      const view = orders.get(event.externalRef);
      let result: RecordEventOutcome;
      const earlier = inbox.get(event.eventId);
      if (!view || view.targetId !== targetId) result = { outcome: "not_found" };
      else if (earlier)
        result = earlier.bodyHash === bodyHash ? { outcome: "replayed", eventId: event.eventId } : { outcome: "conflict" };
      else {
        inbox.set(event.eventId, { bodyHash, event });
        const next = event.statusCode.toLowerCase();
        if (isCanonicalStatus(next) && judgeTransition(view.status, next).apply) view.status = next;
        result = { outcome: "accepted", eventId: event.eventId };
      }
      calls.push({ key, outcome: result.outcome, statusCode: event.statusCode });
      return result;
    },
  };

  /** What the core does on delivery: remember the order as sent and list it in the feed. */
  function sent(payload: WorkOrderPayload): ContractorWorkOrderView {
    const at = new Date().toISOString();
    const view: ContractorWorkOrderView = {
      workOrderId: payload.externalRef,
      serviceRequestId: payload.serviceRequestId,
      targetId: TARGET,
      status: "sent",
      payload,
      cancelled: false,
      createdAt: at,
      updatedAt: at,
    };
    orders.set(view.workOrderId, view);
    feed.push({ cursor: String(feed.length + 1), type: "work_order.created", workOrder: view });
    return view;
  }

  function statusOf(workOrderId: string): CanonicalStatus | undefined {
    return orders.get(workOrderId)?.status;
  }

  return { gateway, sent, statusOf, inbox, calls };
}

let counter = 0;
function newOrder(): WorkOrderPayload {
  counter += 1;
  return {
    externalRef: `helsinki:sr-${counter}:${TARGET}`,
    serviceRequestId: `sr-${counter}`,
    serviceCode: "2807",
    description: "Pothole",
  };
}

describe("contractor-api client ↔ contractor simulator over HTTP", () => {
  const secret = generateWebhookSecret();
  let sim: RunningContractorSimulator;
  let silta: RunningServer;
  let fake: ReturnType<typeof createFakeSilta>;
  /** Silta's side: failures to inject in front of the contractor API (status per request). */
  let siltaFaults: number[];
  let client: WorkOrderSystem;

  beforeEach(async () => {
    fake = createFakeSilta();
    siltaFaults = [];
    const app = new Hono();
    app.use("/api/contractor/v1/*", async (c, next) => {
      const fault = siltaFaults.shift();
      if (fault !== undefined) return c.json({ error: { code: "injected" } }, fault as 503);
      await next();
    });
    app.route("/api/contractor/v1", createContractorApi(fake.gateway));
    silta = await startHttpServer(app);
    sim = await startContractorSimulator({ seed: 42, webhookSecrets: [secret], progress: FAST });
    sim.sim.knobs.autoProgress = false;
    client = createContractorApiWorkOrderSystem({
      targetId: TARGET,
      endpointUrl: sim.endpointUrl,
      webhookSecrets: [secret],
      timeoutMs: 2_000,
    });
  });

  afterEach(async () => {
    await sim.close();
    await silta.close();
  });

  it("stores a created order once even when it is sent twice", async () => {
    const order = newOrder();
    const first = await client.createWorkOrder(order, order.externalRef);
    const second = await client.createWorkOrder(order, order.externalRef);
    expect(second).toEqual(first);
    expect(first.workOrderId).toMatch(/^CR-\d+$/);
    expect(sim.sim.store.countsByWorkOrderId().get(order.externalRef)).toBe(1);
    expect(sim.sim.store.duplicates()).toEqual([]);
    expect(sim.sim.store.find(order.externalRef)?.workOrder).toEqual({
      workOrderId: order.externalRef,
      serviceRequestId: order.serviceRequestId,
      serviceCode: "2807",
      description: "Pothole",
    });
  });

  it("counts a duplicate when the contractor does not de-duplicate and Silta changes the key", async () => {
    sim.sim.knobs.dedupeWebhooks = false;
    const order = newOrder();
    await client.createWorkOrder(order, order.externalRef);
    await client.createWorkOrder(order, `${order.externalRef}:again`);
    expect(sim.sim.store.duplicates()).toEqual([order.externalRef]);
  });

  it("stores the order when the contractor commits and then fails, and a retry does not duplicate it", async () => {
    sim.sim.knobs.commitThenFailRate = 1;
    const order = newOrder();
    const error = await client.createWorkOrder(order, order.externalRef).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SiltaError);
    expect((error as SiltaError).retryable).toBe(true);
    // The core looks up after an ambiguous answer: the order is there.
    await expect(client.findByExternalRef(order.externalRef)).resolves.toMatchObject({ statusCode: "SENT" });
    sim.sim.knobs.commitThenFailRate = 0;
    await client.createWorkOrder(order, order.externalRef);
    expect(sim.sim.store.countsByWorkOrderId().get(order.externalRef)).toBe(1);
  });

  it("looks an order up by Silta's reference, and answers null for an unknown one", async () => {
    const order = newOrder();
    const created = await client.createWorkOrder(order, order.externalRef);
    await expect(client.findByExternalRef(order.externalRef)).resolves.toEqual({
      workOrderId: created.workOrderId,
      externalRef: order.externalRef,
      statusCode: "SENT",
    });
    await expect(client.findByExternalRef("helsinki:unknown:contractor-a")).resolves.toBeNull();
    sim.sim.setStatusSilently(order.externalRef, "IN_PROGRESS");
    await expect(client.findByExternalRef(order.externalRef)).resolves.toMatchObject({ statusCode: "IN_PROGRESS" });
    sim.sim.dropWorkOrder(order.externalRef);
    await expect(client.findByExternalRef(order.externalRef)).resolves.toBeNull();
  });

  it("cancels an order (idempotently), and stops its progress", async () => {
    const order = newOrder();
    const created = await client.createWorkOrder(order, order.externalRef);
    await client.cancelWorkOrder({ workOrderId: created.workOrderId, externalRef: order.externalRef }, "case closed");
    await client.cancelWorkOrder({ workOrderId: created.workOrderId, externalRef: order.externalRef }, "case closed");
    await client.cancelWorkOrder({ workOrderId: null, externalRef: "helsinki:never-sent:contractor-a" }, "case closed");
    const stored = sim.sim.store.find(order.externalRef);
    expect(stored).toMatchObject({ cancelled: true, cancelReason: "case closed", status: "CANCELLED" });
    expect(stored?.history.map((step) => step.status)).toEqual(["SENT", "CANCELLED"]);
    await expect(client.findByExternalRef(order.externalRef)).resolves.toMatchObject({ statusCode: "CANCELLED" });
  });

  it("answers a bad signature with 401, classified as auth, and stores nothing", async () => {
    const forger = createContractorApiWorkOrderSystem({
      targetId: TARGET,
      endpointUrl: sim.endpointUrl,
      webhookSecrets: [generateWebhookSecret()],
    });
    const order = newOrder();
    const error = await forger.createWorkOrder(order, order.externalRef).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SiltaError);
    expect(error).toMatchObject({ code: "target_auth_failed", errorClass: "auth", httpStatus: 401, retryable: false });
    const lookup = await forger.findByExternalRef(order.externalRef).catch((thrown: unknown) => thrown);
    expect(lookup).toMatchObject({ code: "target_auth_failed" });
    expect(sim.sim.store.orders()).toEqual([]);
  });

  it("answers 503 (with Retry-After) under errorRate and outage, storing nothing", async () => {
    sim.sim.knobs.errorRate = 1;
    sim.sim.knobs.retryAfterSeconds = 3;
    const order = newOrder();
    await expect(client.createWorkOrder(order, order.externalRef)).rejects.toMatchObject({
      code: "target_server_error",
      retryAfterMs: 3_000,
    });
    sim.sim.knobs.errorRate = 0;
    sim.sim.knobs.outage = true;
    await expect(client.findByExternalRef(order.externalRef)).rejects.toMatchObject({ code: "target_server_error" });
    expect(sim.sim.store.orders()).toEqual([]);
  });

  it("changes knobs over HTTP", async () => {
    const response = await fetch(`${sim.url}/__sim/knobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rateLimitRate: 1, retryAfterSeconds: 9 }),
    });
    expect(response.status).toBe(200);
    const order = newOrder();
    await expect(client.createWorkOrder(order, order.externalRef)).rejects.toMatchObject({
      code: "target_rate_limited",
      retryAfterMs: 9_000,
    });
    const bad = await fetch(`${sim.url}/__sim/knobs`, { method: "POST", body: JSON.stringify({ errorRate: 2 }) });
    expect(bad.status).toBe(400);
  });

  describe("status events to Silta", () => {
    beforeEach(() => {
      sim.sim.setSilta(silta.url, API_KEY);
    });

    it("auto-progresses an order to a terminal state, posting every status with an Idempotency-Key", async () => {
      sim.sim.knobs.autoProgress = true;
      const order = newOrder();
      fake.sent(order);
      await client.createWorkOrder(order, order.externalRef);
      // The simulator records an event once Silta's answer is back, a moment after the fake
      // applied it: wait for both sides.
      await vi.waitFor(
        () => {
          const status = fake.statusOf(order.externalRef);
          expect(status && isTerminal(status)).toBe(true);
          expect(sim.sim.store.events()).toHaveLength(3);
        },
        { timeout: 5_000, interval: 20 },
      );
      const events = sim.sim.store.events();
      expect(events.map((event) => event.status).slice(0, 2)).toEqual(["RECEIVED", "IN_PROGRESS"]);
      expect(events).toHaveLength(3);
      expect(events.every((event) => event.ok && event.httpStatus === 202)).toBe(true);
      expect(new Set(events.map((event) => event.idempotencyKey)).size).toBe(3);
      expect(fake.calls.map((call) => call.key)).toEqual(events.map((event) => event.idempotencyKey));
      const terminal = events[2]?.status ?? "";
      expect(["COMPLETED", "SCHEDULED_LATER", "NO_ACTION", "INTERRUPTED", "WRONG_CONTRACTOR"]).toContain(terminal);
      expect(fake.statusOf(order.externalRef)).toBe(terminal.toLowerCase());
      expect(sim.sim.store.find(order.externalRef)?.status).toBe(terminal);
    });

    it("retries a failed post with the same Idempotency-Key", async () => {
      const order = newOrder();
      fake.sent(order);
      await client.createWorkOrder(order, order.externalRef);
      siltaFaults.push(503, 502);
      await expect(sim.sim.advance(order.externalRef, "RECEIVED")).resolves.toBe(true);
      const attempts = sim.sim.store.events();
      expect(attempts.map((event) => [event.attempt, event.httpStatus])).toEqual([
        [1, 503],
        [2, 502],
        [3, 202],
      ]);
      expect(new Set(attempts.map((event) => event.idempotencyKey)).size).toBe(1);
      expect(fake.statusOf(order.externalRef)).toBe("received");
    });

    it("posts duplicates with the same key, which Silta replays instead of applying twice", async () => {
      sim.sim.knobs.duplicateEventRate = 1;
      const order = newOrder();
      fake.sent(order);
      await client.createWorkOrder(order, order.externalRef);
      await sim.sim.advance(order.externalRef, "RECEIVED");
      await sim.sim.advance(order.externalRef, "COMPLETED", "Patched.");
      expect(fake.calls.map((call) => call.outcome)).toEqual(["accepted", "replayed", "accepted", "replayed"]);
      expect(fake.inbox.size).toBe(2);
      expect(sim.sim.store.events().filter((event) => event.duplicate)).toHaveLength(2);
      expect(fake.statusOf(order.externalRef)).toBe("completed");
    });

    it("posts nothing more after stop()", async () => {
      sim.sim.knobs.autoProgress = true;
      sim.sim.knobs.progress = { minDelayMs: 200, maxDelayMs: 200 };
      const order = newOrder();
      fake.sent(order);
      await client.createWorkOrder(order, order.externalRef);
      sim.sim.stop();
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(sim.sim.store.events()).toEqual([]);
    });
  });

  it("pull mode: reads Silta's feed instead of receiving pushes, and reports progress", async () => {
    const puller = await startContractorSimulator({
      seed: 3,
      mode: "pull",
      pollIntervalMs: 25,
      progress: FAST,
      siltaBaseUrl: silta.url,
      apiKey: API_KEY,
    });
    try {
      const orders = [newOrder(), newOrder(), newOrder()];
      for (const order of orders) fake.sent(order);
      await vi.waitFor(
        () => {
          for (const order of orders) {
            const status = fake.statusOf(order.externalRef);
            expect(status && isTerminal(status)).toBe(true);
          }
        },
        { timeout: 5_000, interval: 20 },
      );
      expect(puller.sim.store.orders().map((order) => order.receivedVia)).toEqual(["pull", "pull", "pull"]);
      expect(puller.sim.store.duplicates()).toEqual([]);
      expect(puller.sim.store.find(orders[0]?.externalRef ?? "")?.workOrder).toEqual({
        workOrderId: orders[0]?.externalRef,
        serviceRequestId: orders[0]?.serviceRequestId,
        serviceCode: "2807",
        description: "Pothole",
      });
    } finally {
      await puller.close();
    }
  });
});
