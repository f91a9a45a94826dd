import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createStaraChangeFeed, createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import type { RunningStaraSimulator } from "../../adapters/stara/simulator/serve.ts";
import { startStaraSimulator } from "../../adapters/stara/simulator/serve.ts";
import { STARA_CREW_TERMINAL_STATUSES } from "../../adapters/stara/statuses.ts";
import { isSiltaError } from "../../src/kernel/errors.ts";
import { generateWebhookSecret, headerMap } from "../../src/lib/webhook-signature.ts";
import type { FieldEvent, WorkOrderPayload } from "../../src/ports/work-order-system.ts";
import type { RunningServer } from "../../src/runtime/node-serve.ts";
import { startHttpServer } from "../../src/runtime/node-serve.ts";

const SECRET = generateWebhookSecret();
const TOKEN = "integration-token";

/** Silta's side in miniature: a webhook endpoint that verifies with the real client and records what it accepts. */
interface Receiver {
  events: FieldEvent[];
  messageIds: string[];
  rejected: number;
  /** Answers 500 to this many deliveries before accepting, to exercise Stara's retries. */
  failNext: number;
}
const receiver: Receiver = { events: [], messageIds: [], rejected: 0, failNext: 0 };
// Each test's simulator posts to its own path, so that a delivery still on the wire from the
// previous test's simulator cannot land in this test's receiver.
let run = 0;
let receiverServer: RunningServer;
let stara: RunningStaraSimulator;

const verifier = createStaraWorkOrderSystem({
  targetId: "stara",
  baseUrl: "http://unused.test",
  token: "-",
  webhookSecrets: [SECRET],
});

beforeAll(async () => {
  const app = new Hono();
  app.post("/webhooks/stara/:run", async (c) => {
    if (c.req.param("run") !== String(run)) return c.body(null, 410);
    if (receiver.failNext > 0) {
      receiver.failNext -= 1;
      return c.text("try again", 500);
    }
    try {
      const headers = headerMap(c.req.raw.headers);
      receiver.events.push(...(await verifier.verifyWebhook(headers, await c.req.text())));
      receiver.messageIds.push(headers["webhook-id"] ?? "");
      return c.body(null, 204);
    } catch (error) {
      receiver.rejected += 1;
      return c.json({ error: isSiltaError(error) ? error.code : "internal" }, 401);
    }
  });
  receiverServer = await startHttpServer(app);
});

afterAll(async () => {
  await receiverServer.close();
});

beforeEach(async () => {
  Object.assign(receiver, { events: [], messageIds: [], rejected: 0, failNext: 0 });
  run += 1;
  stara = await startStaraSimulator({
    seed: 42,
    token: TOKEN,
    webhookUrl: `${receiverServer.url}/webhooks/stara/${run}`,
    webhookSecrets: [SECRET],
    progress: { minDelayMs: 5, maxDelayMs: 20 },
  });
});

afterEach(async () => {
  await stara.close();
  // Nothing may outlive the simulator: no progress timer, no retry, no sleeper.
  expect(stara.sim.engine.timers.pending).toBe(0);
});

function client(timeoutMs = 2_000) {
  return createStaraWorkOrderSystem({ targetId: "stara", baseUrl: stara.url, token: TOKEN, webhookSecrets: [SECRET], timeoutMs });
}

function order(n: number): WorkOrderPayload {
  return {
    externalRef: `helsinki:2026-${String(n).padStart(6, "0")}:stara`,
    serviceRequestId: `2026-${String(n).padStart(6, "0")}`,
    serviceCode: "2807",
    title: "Kuoppa ajoradalla",
    description: "Syvä kuoppa pyörätien reunassa.",
    lat: 60.1699,
    long: 24.9384,
    mediaUrls: ["https://palautteet.example.hel.fi/media/abc.jpg"],
    requestedAt: "2026-11-02T08:15:00+02:00",
  };
}

async function failureCode(action: Promise<unknown>): Promise<string> {
  const error = await action.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!isSiltaError(error)) throw new Error(`expected a SiltaError, got ${String(error)}`);
  return error.code;
}

const TERMINAL: readonly string[] = STARA_CREW_TERMINAL_STATUSES;

describe("Stara client against the simulator", () => {
  it("creates once per Idempotency-Key and per ulkoinen_viite", async () => {
    stara.sim.setKnobs({ autoProgress: false });
    const first = await client().createWorkOrder(order(1), "key-1");
    const repeated = await client().createWorkOrder(order(1), "key-1");
    const sameRefOtherKey = await client().createWorkOrder(order(1), "key-1b");

    expect(first.statusCode).toBe("UUSI");
    expect(repeated.workOrderId).toBe(first.workOrderId);
    expect(sameRefOtherKey.workOrderId).toBe(first.workOrderId);
    expect(stara.sim.ordersByExternalRef(order(1).externalRef)).toHaveLength(1);
    expect(stara.sim.state().orders).toBe(1);
    expect(stara.sim.state().requests.create).toBe(3);
    // The simulator refuses unknown fields, so the body the client built fits Stara's schema exactly.
    expect(stara.sim.store.get(first.workOrderId)?.order).toMatchObject({
      ulkoinen_viite: order(1).externalRef,
      palautteen_tunnus: "2026-000001",
      sijainti: { lat: 60.1699, lon: 24.9384 },
      ilmoitettu: "2026-11-02T08:15:00+02:00",
    });
  });

  it("refuses an Idempotency-Key reused for another reference as permanent", async () => {
    await client().createWorkOrder(order(1), "key-shared");
    expect(await failureCode(client().createWorkOrder(order(2), "key-shared"))).toBe("target_rejected");
  });

  it("creates a duplicate on a repeat when Stara does not honour idempotency", async () => {
    stara.sim.setKnobs({ honourIdempotencyKey: false, autoProgress: false });
    const first = await client().createWorkOrder(order(1), "key-1");
    const second = await client().createWorkOrder(order(1), "key-1");

    expect(second.workOrderId).not.toBe(first.workOrderId);
    expect(stara.sim.ordersByExternalRef(order(1).externalRef)).toHaveLength(2);
    expect(stara.sim.state().duplicatedExternalRefs).toBe(1);
    // Lookup finds the oldest, the one Silta would have linked.
    expect((await client().findByExternalRef(order(1).externalRef))?.workOrderId).toBe(first.workOrderId);
  });

  it("looks work orders up by ulkoinen_viite", async () => {
    stara.sim.setKnobs({ autoProgress: false });
    const created = await client().createWorkOrder(order(7), "key-7");
    stara.sim.advance(created.workOrderId, "VASTAANOTETTU");

    expect(await client().findByExternalRef(order(7).externalRef)).toEqual({
      workOrderId: created.workOrderId,
      externalRef: order(7).externalRef,
      statusCode: "VASTAANOTETTU",
    });
    expect(await client().findByExternalRef("helsinki:unknown:stara")).toBeNull();
  });

  it("cancels idempotently, by id or by reference, and treats unknown or finished orders as done", async () => {
    stara.sim.setKnobs({ autoProgress: false });
    const a = await client().createWorkOrder(order(1), "key-1");
    const b = await client().createWorkOrder(order(2), "key-2");
    const c = await client().createWorkOrder(order(3), "key-3");
    stara.sim.advance(c.workOrderId, "VALMIS");

    await client().cancelWorkOrder({ workOrderId: a.workOrderId, externalRef: order(1).externalRef }, "Palaute suljettu");
    await client().cancelWorkOrder({ workOrderId: a.workOrderId, externalRef: order(1).externalRef }, "Palaute suljettu");
    await client().cancelWorkOrder({ workOrderId: null, externalRef: order(2).externalRef }, "Peruttu");
    await client().cancelWorkOrder({ workOrderId: c.workOrderId, externalRef: order(3).externalRef }, "Myöhässä");
    await client().cancelWorkOrder({ workOrderId: "ST-2026-999999", externalRef: "helsinki:none:stara" }, "Ei ole");

    expect(stara.sim.store.get(a.workOrderId)?.order.tila).toBe("PERUTTU");
    expect(stara.sim.store.get(a.workOrderId)?.order.huomautus).toBe("Palaute suljettu");
    expect(stara.sim.store.get(b.workOrderId)?.order.tila).toBe("PERUTTU");
    expect(stara.sim.store.get(c.workOrderId)?.order.tila).toBe("VALMIS");
    // One PERUTTU change per cancelled order, none for the repeat.
    const cancellations = stara.sim.store.changesAfter(0, 500).changes.filter((change) => change.tila === "PERUTTU");
    expect(cancellations).toHaveLength(2);
  });

  it("classifies the simulator's injected faults", async () => {
    stara.sim.setKnobs({ autoProgress: false, errorRate: 1 });
    expect(await failureCode(client().createWorkOrder(order(1), "k"))).toBe("target_server_error");
    stara.sim.setKnobs({ errorRate: 0, rateLimitRate: 1, retryAfterSeconds: 3 });
    const limited = await client()
      .findByExternalRef("x")
      .catch((error: unknown) => error);
    expect(isSiltaError(limited) && limited.retryAfterMs).toBe(3_000);
    stara.sim.setKnobs({ rateLimitRate: 0, outage: true });
    expect(await failureCode(client().findByExternalRef("x"))).toBe("target_server_error");
    stara.sim.setKnobs({ outage: false, latencyMs: 300 });
    expect(await failureCode(client(50).createWorkOrder(order(1), "k"))).toBe("target_timeout");
    stara.sim.setKnobs({ latencyMs: 0, malformedResponseRate: 1 });
    expect(await failureCode(client().findByExternalRef("x"))).toBe("target_bad_response");
    stara.sim.setKnobs({ malformedResponseRate: 0 });
    const wrongToken = createStaraWorkOrderSystem({ targetId: "stara", baseUrl: stara.url, token: "nope", webhookSecrets: [] });
    expect(await failureCode(wrongToken.findByExternalRef("x"))).toBe("target_auth_failed");
    // The faults before any effect created nothing; the create that timed out still commits once its
    // latency has passed, which is why a timeout is indeterminate.
    await vi.waitFor(() => expect(stara.sim.state().orders).toBe(1), { timeout: 2_000, interval: 20 });
  });

  it("commit-then-error leaves a work order that the lookup finds and a retried create returns", async () => {
    stara.sim.setKnobs({ autoProgress: false, commitThenErrorRate: 1 });
    expect(await failureCode(client().createWorkOrder(order(1), "key-1"))).toBe("target_server_error");
    stara.sim.setKnobs({ commitThenErrorRate: 0 });
    const found = await client().findByExternalRef(order(1).externalRef);
    const retried = await client().createWorkOrder(order(1), "key-1");
    expect(found?.workOrderId).toBe(retried.workOrderId);
    expect(stara.sim.state().orders).toBe(1);
  });

  it("drift helpers change Stara's truth without telling anyone", async () => {
    stara.sim.setKnobs({ autoProgress: false });
    const kept = await client().createWorkOrder(order(1), "key-1");
    const lost = await client().createWorkOrder(order(2), "key-2");
    const changesBefore = stara.sim.store.changeCount();

    stara.sim.setStatusSilently(kept.workOrderId, "VALMIS");
    expect(stara.sim.dropWorkOrder(lost.workOrderId)).toBe(true);

    expect((await client().findByExternalRef(order(1).externalRef))?.statusCode).toBe("VALMIS");
    expect(await client().findByExternalRef(order(2).externalRef)).toBeNull();
    expect(stara.sim.store.changeCount()).toBe(changesBefore);
  });
});

describe("status webhooks and the change feed", () => {
  it("auto-progress takes each order along a full path, with every change delivered signed", async () => {
    const refs = [1, 2, 3, 4, 5].map((n) => order(n).externalRef);
    for (const n of [1, 2, 3, 4, 5]) await client().createWorkOrder(order(n), `key-${n}`);

    await vi.waitFor(
      () => {
        for (const ref of refs) {
          expect(
            receiver.events.filter((event) => event.externalRef === ref && TERMINAL.includes(event.statusCode)),
          ).toHaveLength(1);
        }
        // The receiver records before it answers: wait until Stara has read the answers too.
        expect(stara.sim.state().webhooks.inFlight).toBe(0);
      },
      { timeout: 5_000, interval: 20 },
    );

    expect(receiver.rejected).toBe(0);
    for (const ref of refs) {
      // Deliveries travel on separate connections and may overtake each other; Stara's time orders them.
      const path = receiver.events
        .filter((event) => event.externalRef === ref)
        .sort((x, y) => Date.parse(x.occurredAt) - Date.parse(y.occurredAt))
        .map((event) => event.statusCode);
      expect(path.slice(0, 3)).toEqual(["UUSI", "VASTAANOTETTU", "TYÖN_ALLA"]);
      expect(path).toHaveLength(4);
      expect(TERMINAL).toContain(path[3]);
      const [stored] = stara.sim.ordersByExternalRef(ref);
      expect(stored?.tila).toBe(path[3]);
    }
    const { webhooks } = stara.sim.state();
    expect(webhooks.delivered).toBe(webhooks.messages);
    expect(webhooks.failedAttempts).toBe(0);
    expect(new Set(receiver.events.map((event) => event.eventId)).size).toBe(20);
  });

  it("the change feed lists the same transitions, with the same event ids, page by page", async () => {
    for (const n of [1, 2, 3]) await client().createWorkOrder(order(n), `key-${n}`);
    await vi.waitFor(() => expect(receiver.events).toHaveLength(12), { timeout: 5_000, interval: 20 });

    const feed = createStaraChangeFeed({ baseUrl: stara.url, token: TOKEN });
    const polled: FieldEvent[] = [];
    let cursor: string | null = null;
    let pages = 0;
    for (;;) {
      const page = await feed.listChanges(cursor, 5);
      polled.push(...page.events);
      cursor = page.nextCursor;
      pages += 1;
      if (!page.hasMore) break;
    }

    expect(pages).toBe(3);
    const byId = (events: FieldEvent[]) => [...events].sort((x, y) => x.eventId.localeCompare(y.eventId));
    expect(byId(polled)).toEqual(byId(receiver.events));
    const idle = await feed.listChanges(cursor);
    expect(idle).toEqual({ events: [], nextCursor: cursor, hasMore: false });

    // A later change shows up after the saved cursor, and only it.
    stara.sim.setKnobs({ autoProgress: false });
    const late = await client().createWorkOrder(order(9), "key-9");
    const next = await feed.listChanges(cursor);
    expect(next.events.map((event) => [event.workOrderId, event.statusCode])).toEqual([[late.workOrderId, "UUSI"]]);
  });

  it("retries a failed delivery with the same webhook-id, and can duplicate and batch on purpose", async () => {
    stara.sim.setKnobs({ autoProgress: false, webhookRetryBaseMs: 10 });
    receiver.failNext = 2;
    const created = await client().createWorkOrder(order(1), "key-1");
    await vi.waitFor(
      () => {
        expect(receiver.events).toHaveLength(1);
        expect(stara.sim.state().webhooks.inFlight).toBe(0);
      },
      { timeout: 2_000, interval: 10 },
    );
    expect(stara.sim.state().webhooks).toMatchObject({ messages: 1, attempts: 3, failedAttempts: 2, delivered: 1 });

    stara.sim.setKnobs({ webhookDuplicateRate: 1 });
    stara.sim.advance(created.workOrderId, "VASTAANOTETTU");
    stara.sim.advance(created.workOrderId, "TYÖN_ALLA");
    await vi.waitFor(() => expect(receiver.events).toHaveLength(5), { timeout: 2_000, interval: 10 });
    // Both changes of the same tick went out in one message, delivered twice under one webhook-id.
    expect(receiver.messageIds.slice(1)).toEqual([receiver.messageIds[1], receiver.messageIds[1]]);
    expect(receiver.events.slice(1).map((event) => event.statusCode)).toEqual([
      "VASTAANOTETTU",
      "TYÖN_ALLA",
      "VASTAANOTETTU",
      "TYÖN_ALLA",
    ]);
  });

  it("shuffles on purpose: a held-back event arrives after a later one", async () => {
    stara.sim.setKnobs({ autoProgress: false, webhookShuffleDelayMs: 100 });
    const created = await client().createWorkOrder(order(1), "key-1");
    await vi.waitFor(() => expect(receiver.events).toHaveLength(1), { timeout: 2_000, interval: 10 });

    stara.sim.setKnobs({ webhookShuffleRate: 1 });
    stara.sim.advance(created.workOrderId, "VASTAANOTETTU");
    stara.sim.setKnobs({ webhookShuffleRate: 0 });
    stara.sim.advance(created.workOrderId, "TYÖN_ALLA");

    await vi.waitFor(() => expect(receiver.events).toHaveLength(3), { timeout: 2_000, interval: 10 });
    expect(receiver.events.map((event) => event.statusCode)).toEqual(["UUSI", "TYÖN_ALLA", "VASTAANOTETTU"]);
    expect(stara.sim.state().webhooks.shuffled).toBe(1);
  });

  it("pausing auto-progress holds orders where they are; resuming finishes them", async () => {
    stara.sim.setKnobs({ autoProgress: false });
    const created = await client().createWorkOrder(order(1), "key-1");
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(stara.sim.store.get(created.workOrderId)?.order.tila).toBe("UUSI");

    stara.sim.setKnobs({ autoProgress: true });
    await vi.waitFor(() => expect(TERMINAL).toContain(stara.sim.store.get(created.workOrderId)?.order.tila), {
      timeout: 2_000,
      interval: 10,
    });
  });

  it("control surface: knobs and state over HTTP", async () => {
    const patch = await fetch(`${stara.url}/__sim/knobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ errorRate: 0.25, progress: { minDelayMs: 1, maxDelayMs: 2 } }),
    });
    expect(patch.status).toBe(200);
    expect(stara.sim.knobs.errorRate).toBe(0.25);
    const invalid = await fetch(`${stara.url}/__sim/knobs`, { method: "POST", body: JSON.stringify({ errorRate: 2 }) });
    expect(invalid.status).toBe(400);
    const state = (await (await fetch(`${stara.url}/__sim/state`)).json()) as { orders: number; knobs: { errorRate: number } };
    expect(state).toMatchObject({ orders: 0, knobs: { errorRate: 0.25 } });
  });
});
