import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { createRng } from "../../../src/lib/prng.ts";
import { generateWebhookSecret, headerMap, verifyWebhookSignature } from "../../../src/lib/webhook-signature.ts";
import { samplePhotos } from "../../photos/sample-photos.ts";
import { HOSTILE_MARKUP, hostileExtraFields, hostileNote } from "../../stara/simulator/hostile.ts";
import { createWireFaults, type WireFaults } from "../../stara/simulator/wire-faults.ts";
import type { ProtocolWorkOrder } from "../protocol.ts";
import {
  applyKnobs,
  defaultKnobs,
  knobsUpdateSchema,
  type SimulatorKnobs,
  TERMINAL_WEIGHTS,
  type TerminalStatus,
} from "./knobs.ts";
import { createSiltaLink } from "./silta-link.ts";
import { createSimulatorStore, type SimulatedOrder, type SimulatorStore } from "./store.ts";
import { createTimerSet } from "./timers.ts";

export interface ContractorSimulatorOptions {
  /** Seeds every random choice (faults, delays, terminal statuses) so that a run replays. */
  seed?: number;
  siltaBaseUrl?: string;
  /** The contractor's API key at Silta. */
  apiKey?: string;
  /** Secrets Silta signs its pushes with; one is generated when none is given (see `webhookSecrets`). */
  webhookSecrets?: string[];
  /** push: Silta sends webhooks here; pull: the simulator polls Silta's feed. */
  mode?: "push" | "pull";
  progress?: { minDelayMs: number; maxDelayMs: number };
  pollIntervalMs?: number;
  /** Attempts per status event posted to Silta (default 5); the chaos harness raises it to ride out Silta's restarts. */
  eventAttempts?: number;
}

export interface ContractorSimulator {
  /** Mount or serve this; Silta's endpoint URL for it is `<base URL>/silta`. */
  app: Hono;
  store: SimulatorStore;
  /** Live knobs: mutate directly or `POST /__sim/knobs`. */
  knobs: SimulatorKnobs;
  /** Wire pathologies on Silta's pushes and lookups; `/__sim/wire-faults`. */
  wireFaults: WireFaults;
  readonly webhookSecrets: readonly string[];
  readonly mode: "push" | "pull";
  /** Points the simulator at Silta (status events, and the feed in pull mode). */
  setSilta(baseUrl: string, apiKey: string): void;
  /** Moves an order to `status` now and reports it to Silta; resolves when Silta accepted it (true) or gave up. */
  advance(workOrderId: string, status: string, note?: string): Promise<boolean>;
  /** Drift: the contractor loses the order (and the message ids it came with). */
  dropWorkOrder(workOrderId: string): boolean;
  /** Drift: the contractor's status changes without any event reaching Silta. */
  setStatusSilently(workOrderId: string, status: string): boolean;
  /** Pull mode: reads the feed now until it is drained. */
  pollNow(): Promise<void>;
  /** Clears every timer and aborts every request in flight. */
  stop(): void;
}

const PULL_PAGE_SIZE = 100;
/** Statuses after which the crew's work is done. */
const FINISHED: ReadonlySet<string> = new Set(Object.keys(TERMINAL_WEIGHTS));
const DEFAULT_POLL_INTERVAL_MS = 1_000;

const messageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("work_order.created"),
    workOrder: z.looseObject({ workOrderId: z.string().min(1), serviceRequestId: z.string(), serviceCode: z.string() }),
  }),
  z.object({
    type: z.literal("work_order.cancelled"),
    workOrder: z.object({ workOrderId: z.string().min(1), contractorReference: z.string().optional() }),
    reason: z.string().optional(),
  }),
]);

const feedPageSchema = z.object({
  items: z.array(
    z.object({
      cursor: z.string(),
      type: z.string(),
      workOrder: z.looseObject({ workOrderId: z.string().min(1), cancelled: z.boolean().optional() }),
    }),
  ),
  nextCursor: z.string().nullable(),
});

/**
 * A contractor's system that speaks Silta's protocol, for sandboxes and tests: it receives
 * Silta's signed pushes (or pulls the feed), holds the ground truth of what it received, moves
 * orders through the field statuses with random delays and reports each one to Silta's contractor
 * API with an Idempotency-Key. Fault knobs cover latency, 503/429, commit-then-fail, outages,
 * duplicate events and missing de-duplication; drift helpers make it disagree with Silta.
 */
export function createContractorSimulator(options: ContractorSimulatorOptions = {}): ContractorSimulator {
  const mode = options.mode ?? "push";
  const rng = createRng(options.seed ?? 1);
  const knobs = defaultKnobs(options.progress);
  const webhookSecrets = options.webhookSecrets?.length ? [...options.webhookSecrets] : [generateWebhookSecret()];
  const store = createSimulatorStore();
  const timers = createTimerSet();
  const lifetime = new AbortController();
  const link = createSiltaLink({
    store,
    rng,
    timers,
    signal: lifetime.signal,
    duplicateEventRate: () => knobs.duplicateEventRate,
    ...(options.eventAttempts ? { maxAttempts: options.eventAttempts } : {}),
  });
  const wireFaults = createWireFaults(createRng((options.seed ?? 1) + 7), (method) => method === "POST");
  /** webhook-id → the answer given, for de-duplication of re-sent messages. */
  const answered = new Map<string, { contractorReference?: string }>();
  /** Per order, how many status events it has reported: part of each Idempotency-Key. */
  const eventSequence = new Map<string, number>();
  let feedCursor: string | null = null;
  let polling = false;
  let stopped = false;

  const now = (): string => new Date().toISOString();
  const retryAfter = (): Record<string, string> =>
    knobs.retryAfterSeconds === null ? {} : { "retry-after": String(knobs.retryAfterSeconds) };

  function setStatus(order: SimulatedOrder, status: string, silent: boolean): void {
    order.status = status;
    order.history.push({ status, at: now(), silent });
  }

  /** Reports the order's current status to Silta under a fresh, per-order Idempotency-Key. */
  function report(order: SimulatedOrder, note?: string): Promise<boolean> {
    const sequence = (eventSequence.get(order.contractorReference) ?? 0) + 1;
    eventSequence.set(order.contractorReference, sequence);
    // Hostile: markup in the note (within the API's 2,000 characters, so it is stored) and unknown fields.
    const sent = knobs.hostile ? hostileNote(sequence) : note;
    return link.postEvent({
      workOrderId: order.workOrderId,
      status: order.status,
      occurredAt: now(),
      idempotencyKey: `${order.contractorReference}-${sequence}`,
      ...(sent ? { note: sent } : {}),
      ...(knobs.hostile ? { extra: hostileExtraFields(sequence) } : {}),
    });
  }

  /** The reference the contractor answers with: in hostile mode it carries markup. */
  function answeredReference(order: SimulatedOrder): string {
    return knobs.hostile ? `${HOSTILE_MARKUP[1]}${order.contractorReference}` : order.contractorReference;
  }

  function isActive(order: SimulatedOrder): boolean {
    return !order.cancelled && store.orders().includes(order);
  }

  /** Schedules the next field step of an order: RECEIVED, IN_PROGRESS, then a weighted terminal status. */
  function scheduleProgress(order: SimulatedOrder): void {
    if (!knobs.autoProgress || stopped) return;
    const from = order.status;
    const next = nextStatus(from);
    if (!next) return;
    const delay = rng.int(knobs.progress.minDelayMs, Math.max(knobs.progress.minDelayMs, knobs.progress.maxDelayMs));
    timers.after(
      delay,
      () => {
        // A silent change or a cancellation in the meantime ends the automatic run.
        if (!isActive(order) || !knobs.autoProgress || order.status !== from) return;
        setStatus(order, next, false);
        void report(order).then(async () => {
          // The crew's photo of the finished work goes after the status that says so.
          if (next === "COMPLETED" && knobs.photoRate > 0 && rng.chance(knobs.photoRate)) {
            const photos = await samplePhotos();
            const photo = photos[[...order.workOrderId].reduce((sum, char) => sum + char.charCodeAt(0), 0) % photos.length];
            if (photo) await link.postPhoto(order.workOrderId, photo, "completion");
          }
          scheduleProgress(order);
        });
      },
      order.contractorReference,
    );
  }

  function nextStatus(current: string): string | null {
    if (current === "SENT") return "RECEIVED";
    if (current === "RECEIVED") return "IN_PROGRESS";
    if (current === "IN_PROGRESS") {
      const weights = Object.entries(knobs.terminalWeights) as [TerminalStatus, number][];
      return weights.some(([, weight]) => weight > 0) ? rng.weighted(weights) : "COMPLETED";
    }
    return null;
  }

  function storeNew(
    workOrder: ProtocolWorkOrder,
    via: "push" | "pull",
    webhookId: string | null,
    cancelled: boolean,
  ): SimulatedOrder {
    const order = store.add({
      workOrderId: workOrder.workOrderId,
      workOrder,
      status: cancelled ? "CANCELLED" : "SENT",
      cancelled,
      cancelReason: null,
      receivedVia: via,
      webhookId,
      receivedAt: now(),
      history: [{ status: cancelled ? "CANCELLED" : "SENT", at: now(), silent: false }],
    });
    if (!cancelled) scheduleProgress(order);
    return order;
  }

  function cancel(workOrderId: string, reason: string | null): SimulatedOrder | undefined {
    const matching = store.orders().filter((order) => order.workOrderId === workOrderId);
    for (const order of matching) {
      // Finished field work is not withdrawn (as Stara answers 409): the order keeps its outcome.
      if (order.cancelled || FINISHED.has(order.status)) continue;
      timers.cancelGroup(order.contractorReference);
      order.cancelled = true;
      order.cancelReason = reason;
      setStatus(order, "CANCELLED", false);
    }
    return matching[0];
  }

  async function simulateLatency(): Promise<void> {
    if (knobs.latencyMs > 0) await timers.sleep(knobs.latencyMs);
  }

  function verified(c: Context, body: string): boolean {
    try {
      verifyWebhookSignature(webhookSecrets, headerMap(c.req.raw.headers), body);
      return true;
    } catch {
      return false;
    }
  }

  async function pollOnce(): Promise<void> {
    for (let page = 0; page < 1_000 && !stopped; page++) {
      const raw = await link.fetchFeed(feedCursor, PULL_PAGE_SIZE);
      const parsed = feedPageSchema.safeParse(raw);
      if (!parsed.success) return;
      for (const item of parsed.data.items) {
        const workOrder = item.workOrder as unknown as ProtocolWorkOrder & { cancelled?: boolean };
        if (item.type === "work_order.cancelled" || workOrder.cancelled) {
          if (store.find(workOrder.workOrderId)) cancel(workOrder.workOrderId, null);
          else if (item.type === "work_order.created") storeNew(stripState(workOrder), "pull", null, true);
        } else if (!store.find(workOrder.workOrderId)) {
          // Pulled orders have no message id: the contractor de-duplicates by Silta's reference.
          storeNew(stripState(workOrder), "pull", null, false);
        }
        feedCursor = item.cursor;
      }
      if (parsed.data.nextCursor !== null) feedCursor = parsed.data.nextCursor;
      if (parsed.data.items.length < PULL_PAGE_SIZE) return;
    }
  }

  function startPolling(): void {
    if (mode !== "pull" || polling || stopped || !link.target()) return;
    polling = true;
    const tick = (): void => {
      void pollOnce().finally(() => {
        if (!stopped) timers.after(options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, tick);
      });
    };
    tick();
  }

  const app = new Hono();

  app.use("/silta/*", wireFaults.middleware);
  /** Faults injected through the knobs, for harnesses' totals (`GET /__sim/faults`). */
  const injected = { outage: 0, rateLimited: 0, unavailable: 0, commitThenFail: 0, malformed: 0 };
  app.use("/silta/*", async (c, next) => {
    if (knobs.outage) {
      injected.outage += 1;
      return c.json({ error: { code: "outage" } }, 503, retryAfter());
    }
    await simulateLatency();
    await next();
  });

  app.post("/silta/webhooks", async (c) => {
    const body = await c.req.text();
    // S1: nothing is stored before the signature and timestamp check.
    if (!verified(c, body)) return c.json({ error: { code: "invalid_signature" } }, 401);
    if (rng.chance(knobs.rateLimitRate)) {
      injected.rateLimited += 1;
      return c.json({ error: { code: "rate_limited" } }, 429, retryAfter());
    }
    if (rng.chance(knobs.errorRate)) {
      injected.unavailable += 1;
      return c.json({ error: { code: "unavailable" } }, 503, retryAfter());
    }
    let message: z.output<typeof messageSchema>;
    try {
      const parsed = messageSchema.safeParse(JSON.parse(body));
      if (!parsed.success) return c.json({ error: { code: "invalid_message" } }, 400);
      message = parsed.data;
    } catch {
      return c.json({ error: { code: "invalid_json" } }, 400);
    }
    const webhookId = c.req.header("webhook-id") ?? "";
    const earlier = knobs.dedupeWebhooks ? answered.get(webhookId) : undefined;
    if (earlier) return c.json(earlier, 200);

    let answer: { contractorReference?: string };
    if (message.type === "work_order.created") {
      const order = storeNew(message.workOrder as ProtocolWorkOrder, "push", webhookId, false);
      answer = { contractorReference: answeredReference(order) };
    } else {
      // Cancelling an unknown order is a no-op answered 2xx: the desired state already holds.
      const order = cancel(message.workOrder.workOrderId, message.reason ?? null);
      answer = order ? { contractorReference: answeredReference(order) } : {};
    }
    if (knobs.hostile) answer = { ...hostileExtraFields(store.orders().length), ...answer };
    answered.set(webhookId, answer);
    if (rng.chance(knobs.commitThenFailRate)) {
      injected.commitThenFail += 1;
      return c.json({ error: { code: "unavailable" } }, 503, retryAfter());
    }
    const breakThis = knobs.malformedNext > 0;
    if (breakThis) knobs.malformedNext -= 1;
    if (breakThis || (knobs.malformedAnswerRate > 0 && rng.chance(knobs.malformedAnswerRate))) {
      injected.malformed += 1;
      return c.body('{"contractorReference": "', 200, { "content-type": "application/json" });
    }
    return c.json(answer, 200);
  });

  app.get("/silta/work-orders/:workOrderId", (c) => {
    if (!verified(c, "")) return c.json({ error: { code: "invalid_signature" } }, 401);
    const order = store.find(c.req.param("workOrderId"));
    if (!order) return c.json({ error: { code: "not_found" } }, 404);
    const found = { workOrderId: order.workOrderId, contractorReference: answeredReference(order), status: order.status };
    return c.json(knobs.hostile ? { ...hostileExtraFields(0), ...found } : found, 200);
  });

  app.get("/__sim/faults", (c) => c.json(injected));
  app.get("/__sim/wire-faults", (c) => c.json({ knobs: wireFaults.knobs, stats: wireFaults.stats }));
  app.post("/__sim/wire-faults", async (c) => {
    try {
      return c.json(wireFaults.set(await c.req.json()));
    } catch {
      return c.json({ error: { code: "invalid_knobs" } }, 400);
    }
  });
  app.get("/__sim/knobs", (c) => c.json(knobs));
  app.post("/__sim/knobs", async (c) => {
    const parsed = knobsUpdateSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: { code: "invalid_knobs", issues: parsed.error.issues } }, 400);
    return c.json(applyKnobs(knobs, parsed.data));
  });
  app.get("/__sim/store", (c) =>
    c.json({ orders: store.orders(), counts: Object.fromEntries(store.countsByWorkOrderId()), events: store.events() }),
  );
  app.post("/__sim/silta", async (c) => {
    const parsed = z.object({ baseUrl: z.url(), apiKey: z.string().min(1) }).safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: { code: "invalid_request" } }, 400);
    simulator.setSilta(parsed.data.baseUrl, parsed.data.apiKey);
    return c.json({ ok: true });
  });
  app.post("/__sim/work-orders/:workOrderId/drop", (c) =>
    simulator.dropWorkOrder(c.req.param("workOrderId")) ? c.json({ ok: true }) : c.json({ error: { code: "not_found" } }, 404),
  );
  app.post("/__sim/work-orders/:workOrderId/status", async (c) => {
    const parsed = z
      .object({ status: z.string().min(1), silent: z.boolean().default(false) })
      .safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: { code: "invalid_request" } }, 400);
    const id = c.req.param("workOrderId");
    if (!store.find(id)) return c.json({ error: { code: "not_found" } }, 404);
    if (parsed.data.silent) simulator.setStatusSilently(id, parsed.data.status);
    else await simulator.advance(id, parsed.data.status);
    return c.json({ ok: true });
  });

  const simulator: ContractorSimulator = {
    app,
    store,
    knobs,
    wireFaults,
    webhookSecrets,
    mode,
    setSilta(baseUrl, apiKey) {
      link.setTarget({ baseUrl, apiKey });
      startPolling();
    },
    async advance(workOrderId, status, note) {
      const order = store.find(workOrderId);
      if (!order) throw new Error(`simulator has no work order ${workOrderId}`);
      timers.cancelGroup(order.contractorReference);
      setStatus(order, status, false);
      return report(order, note);
    },
    dropWorkOrder(workOrderId) {
      const removed = store.remove(workOrderId);
      for (const order of removed) {
        timers.cancelGroup(order.contractorReference);
        // A contractor that lost the order lost its message log too: a re-send is stored again.
        if (order.webhookId !== null) answered.delete(order.webhookId);
      }
      return removed.length > 0;
    },
    setStatusSilently(workOrderId, status) {
      const order = store.find(workOrderId);
      if (!order) return false;
      timers.cancelGroup(order.contractorReference);
      setStatus(order, status, true);
      return true;
    },
    pollNow: () => pollOnce(),
    stop() {
      stopped = true;
      timers.clearAll();
      lifetime.abort();
    },
  };

  if (options.siltaBaseUrl && options.apiKey) simulator.setSilta(options.siltaBaseUrl, options.apiKey);
  return simulator;
}

/** Keeps only the work-order fields of a feed entry (the feed adds Silta's state beside them). */
function stripState(workOrder: ProtocolWorkOrder & Record<string, unknown>): ProtocolWorkOrder {
  const { status: _status, cancelled: _cancelled, createdAt: _createdAt, updatedAt: _updatedAt, ...rest } = workOrder;
  return rest as ProtocolWorkOrder;
}
