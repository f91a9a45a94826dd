import type { Rng } from "../../../src/lib/prng.ts";
import { createRng } from "../../../src/lib/prng.ts";
import { generateWebhookSecret } from "../../../src/lib/webhook-signature.ts";
import { samplePhotos } from "../../photos/sample-photos.ts";
import type { StaraStatus } from "../statuses.ts";
import { isStaraTerminal } from "../statuses.ts";
import { hostileExtraFields, hostileNote, OVERLONG_LENGTH } from "./hostile.ts";
import type { StaraSimKnobs, StaraSimKnobsPatch } from "./knobs.ts";
import { applyKnobsPatch, defaultKnobs, knobsPatchSchema } from "./knobs.ts";
import { crewNote, nextAutomaticStatus, progressDelay } from "./progression.ts";
import type { CreateRequest } from "./requests.ts";
import type { StaraEvent, StaraStore, StaraWorkOrder, StoredWorkOrder } from "./store.ts";
import { createStaraStore } from "./store.ts";
import type { TimerRegistry } from "./timers.ts";
import { createTimerRegistry } from "./timers.ts";
import type { WebhookSender, WebhookStats } from "./webhook-sender.ts";
import { createWebhookSender } from "./webhook-sender.ts";

export interface StaraSimulatorOptions {
  /** Seeds every random choice (faults, paths, delays, webhook chaos); default 1. */
  seed?: number;
  /** The bearer token Stara expects; default `stara-sim-token`. */
  token?: string;
  /** Silta's inbound webhook URL; can be set later with `setWebhookTarget`. */
  webhookUrl?: string;
  /** `whsec_` secrets to sign with (one signature each); a fresh one is generated when absent. */
  webhookSecrets?: string[];
  /** Delay range of each automatic step; default 1–5 s. */
  progress?: { minDelayMs: number; maxDelayMs: number };
  /** Clock for timestamps and webhook signatures; default `Date.now`. */
  now?: () => number;
  /** Prefix that makes event and message ids unique across simulator runs; random by default. */
  instanceId?: string;
}

/** Counters of `/api/v1` traffic and the faults injected into it. */
export interface RequestStats {
  total: number;
  create: number;
  lookup: number;
  get: number;
  cancel: number;
  changes: number;
  unauthorized: number;
  outage: number;
  injected503: number;
  injected429: number;
  commitThenError: number;
  malformed: number;
}

export type CreateOutcome =
  | { kind: "created"; order: StaraWorkOrder }
  | { kind: "existing"; order: StaraWorkOrder }
  | { kind: "key_conflict" };

export type CancelOutcome =
  | { kind: "cancelled"; order: StaraWorkOrder }
  | { kind: "already_cancelled"; order: StaraWorkOrder }
  | { kind: "finished"; order: StaraWorkOrder }
  | { kind: "not_found" };

/** A snapshot for `GET /__sim/state`: counts only, no personal data and no secrets. */
export interface StaraSimState {
  orders: number;
  byStatus: Record<StaraStatus, number>;
  /** External references held by more than one work order. */
  duplicatedExternalRefs: number;
  changes: number;
  webhooks: WebhookStats & { inFlight: number; targetUrl: string | null };
  requests: RequestStats;
  timersPending: number;
  errors: { count: number; last: string | null };
  knobs: StaraSimKnobs;
}

/**
 * The simulated Stara's behaviour, independent of HTTP: the store, the automatic progress of
 * work orders, status events (change log + webhook) and the drift helpers. Routes call into it;
 * tests can call it directly.
 */
export interface StaraEngine {
  readonly store: StaraStore;
  readonly knobs: StaraSimKnobs;
  readonly token: string;
  readonly timers: TimerRegistry;
  /** Draws for request faults; separate from the progress stream so that traffic does not change the paths. */
  readonly faultRng: Rng;
  readonly requests: RequestStats;
  readonly webhooks: WebhookSender;
  createOrder(body: CreateRequest, idempotencyKey: string | null): CreateOutcome;
  cancelOrder(tunnus: string, reason: string): CancelOutcome;
  /** Moves a work order to `tila` with an event (change feed and webhook); throws for an unknown id. */
  advance(tunnus: string, tila: StaraStatus): StaraWorkOrder;
  /**
   * Sends an event with any status text and note (hostile or unknown codes) without changing the
   * work order: what a misbehaving Stara might push. Throws for an unknown id.
   */
  reportRawStatus(tunnus: string, tila: string, note: string | null): void;
  /** Changes the state with no event at all (neither webhook nor change feed): drift for reconciliation. */
  setStatusSilently(tunnus: string, tila: StaraStatus): StaraWorkOrder;
  /** Forgets a work order as if Stara lost it; true when it existed. */
  dropWorkOrder(tunnus: string): boolean;
  /** Validates and applies a partial knobs object; resumes progress when `autoProgress` turns on. */
  setKnobs(patch: unknown): StaraSimKnobs;
  setWebhookTarget(url: string | null, secrets?: string[]): void;
  state(): StaraSimState;
  stop(): Promise<void>;
}

export function createStaraEngine(options: StaraSimulatorOptions = {}): StaraEngine {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const instanceId = options.instanceId ?? crypto.randomUUID().slice(0, 8);
  const knobs = defaultKnobs(options.progress);
  const store = createStaraStore();
  const errors = { count: 0, last: null as string | null };
  const timers = createTimerRegistry((error) => {
    errors.count += 1;
    errors.last = error instanceof Error ? error.message : String(error);
  });
  const faultRng = createRng(seed);
  const progressRng = createRng(seed + 1);
  const webhooks = createWebhookSender({
    knobs,
    rng: createRng(seed + 2),
    timers,
    now,
    instanceId,
    target: { url: options.webhookUrl ?? null, secrets: options.webhookSecrets ?? [generateWebhookSecret()] },
  });
  const requests: RequestStats = {
    total: 0,
    create: 0,
    lookup: 0,
    get: 0,
    cancel: 0,
    changes: 0,
    unauthorized: 0,
    outage: 0,
    injected503: 0,
    injected429: 0,
    commitThenError: 0,
    malformed: 0,
  };
  const progressTimers = new Map<string, ReturnType<typeof setTimeout>>();
  let orderSeq = 0;

  const isoNow = (): string => new Date(now()).toISOString();

  const requireOrder = (tunnus: string): StoredWorkOrder => {
    const stored = store.get(tunnus);
    if (!stored) throw new Error(`no work order ${tunnus}`);
    return stored;
  };

  // Crew photos (with GPS and camera data in their EXIF), made once when photos are first asked for.
  let photoPool: Uint8Array[] = [];
  const photoFor = (sequence: number): string | null => {
    if (knobs.photoRate <= 0) return null;
    if (photoPool.length === 0) {
      void samplePhotos().then((pool) => {
        photoPool = pool;
      });
      return null;
    }
    const photo = photoPool[sequence % photoPool.length];
    return photo ? btoa(String.fromCharCode(...photo)) : null;
  };

  /** Appends a change and sends it; in hostile mode the event carries unknown fields. */
  const emit = (stored: StoredWorkOrder, tila: string, note: string | null, at: string): void => {
    const sequence = store.changeCount() + 1;
    const photo = knobs.photoRate > 0 && tila === "VALMIS" && progressRng.chance(knobs.photoRate) ? photoFor(sequence) : null;
    const event = {
      tapahtuma_id: `${instanceId}-${sequence}`,
      tunnus: stored.order.tunnus,
      ulkoinen_viite: stored.order.ulkoinen_viite,
      tila,
      aikaleima: at,
      huomautus: note,
      ...(photo ? { liitteet: [{ laji: "valmis", tyyppi: "image/jpeg", sisalto: photo }] } : {}),
      ...(knobs.hostile ? hostileExtraFields(sequence) : {}),
    } as StaraEvent;
    store.appendChange(event);
    webhooks.enqueue(event);
  };

  const changeStatus = (stored: StoredWorkOrder, tila: StaraStatus, note: string | null, notify: boolean): void => {
    const at = isoNow();
    const written = knobs.hostile && notify ? hostileNote(store.changeCount() + 1, OVERLONG_LENGTH) : note;
    stored.order.tila = tila;
    stored.order.huomautus = written;
    stored.order.muokattu = at;
    if (notify) emit(stored, tila, written, at);
  };

  const scheduleProgress = (tunnus: string): void => {
    if (!knobs.autoProgress || progressTimers.has(tunnus)) return;
    const stored = store.get(tunnus);
    if (!stored || isStaraTerminal(stored.order.tila)) return;
    const handle = timers.after(progressDelay(knobs.progress, progressRng), () => {
      progressTimers.delete(tunnus);
      stepAutomatically(tunnus);
    });
    if (handle) progressTimers.set(tunnus, handle);
  };

  const stepAutomatically = (tunnus: string): void => {
    // Paused: the order waits here until `setKnobs({ autoProgress: true })` schedules it again.
    if (!knobs.autoProgress) return;
    const stored = store.get(tunnus);
    if (!stored) return;
    const next = nextAutomaticStatus(stored.order.tila, progressRng, knobs.terminalWeights);
    if (next === null) return;
    changeStatus(stored, next, crewNote(next, progressRng), true);
    scheduleProgress(tunnus);
  };

  const stopProgress = (tunnus: string): void => {
    timers.cancel(progressTimers.get(tunnus));
    progressTimers.delete(tunnus);
  };

  const newTunnus = (): string => {
    orderSeq += 1;
    return `ST-${new Date(now()).getUTCFullYear()}-${String(orderSeq).padStart(6, "0")}`;
  };

  return {
    store,
    knobs,
    token: options.token ?? "stara-sim-token",
    timers,
    faultRng,
    requests,
    webhooks,

    createOrder(body, idempotencyKey) {
      if (knobs.honourIdempotencyKey) {
        if (idempotencyKey !== null) {
          const byKey = store.findByIdempotencyKey(idempotencyKey);
          if (byKey) {
            return byKey.order.ulkoinen_viite === body.ulkoinen_viite
              ? { kind: "existing", order: byKey.order }
              : { kind: "key_conflict" };
          }
        }
        const [byRef] = store.findByExternalRef(body.ulkoinen_viite);
        if (byRef) return { kind: "existing", order: byRef.order };
      }
      const at = isoNow();
      const order: StaraWorkOrder = { tunnus: newTunnus(), ...body, tila: "UUSI", huomautus: null, luotu: at, muokattu: at };
      const stored: StoredWorkOrder = { order, idempotencyKey };
      store.insert(stored);
      // Creation is a change too: pollers and webhook receivers learn that Stara registered it.
      changeStatus(stored, "UUSI", null, true);
      scheduleProgress(order.tunnus);
      return { kind: "created", order };
    },

    cancelOrder(tunnus, reason) {
      const stored = store.get(tunnus);
      if (!stored) return { kind: "not_found" };
      if (stored.order.tila === "PERUTTU") return { kind: "already_cancelled", order: stored.order };
      if (isStaraTerminal(stored.order.tila)) return { kind: "finished", order: stored.order };
      stopProgress(tunnus);
      changeStatus(stored, "PERUTTU", reason, true);
      return { kind: "cancelled", order: stored.order };
    },

    advance(tunnus, tila) {
      const stored = requireOrder(tunnus);
      changeStatus(stored, tila, crewNote(tila, progressRng), true);
      if (isStaraTerminal(tila)) stopProgress(tunnus);
      return stored.order;
    },

    reportRawStatus(tunnus, tila, note) {
      emit(requireOrder(tunnus), tila, note, isoNow());
    },

    setStatusSilently(tunnus, tila) {
      const stored = requireOrder(tunnus);
      changeStatus(stored, tila, stored.order.huomautus ?? null, false);
      if (isStaraTerminal(tila)) stopProgress(tunnus);
      return stored.order;
    },

    dropWorkOrder(tunnus) {
      stopProgress(tunnus);
      return store.remove(tunnus);
    },

    setKnobs(patch) {
      const parsed: StaraSimKnobsPatch = knobsPatchSchema.parse(patch);
      applyKnobsPatch(knobs, parsed);
      if (parsed.autoProgress === true) {
        for (const order of store.all()) scheduleProgress(order.tunnus);
      }
      return knobs;
    },

    setWebhookTarget(url, secrets) {
      webhooks.setTarget(url, secrets);
    },

    state() {
      let duplicatedExternalRefs = 0;
      for (const count of store.countByExternalRef().values()) if (count > 1) duplicatedExternalRefs += 1;
      return {
        orders: store.size(),
        byStatus: store.countByStatus(),
        duplicatedExternalRefs,
        changes: store.changeCount(),
        webhooks: { ...webhooks.stats, inFlight: webhooks.inFlight, targetUrl: webhooks.target.url },
        requests: { ...requests },
        timersPending: timers.pending,
        errors: { ...errors },
        knobs: structuredClone(knobs),
      };
    },

    async stop() {
      timers.stop();
      progressTimers.clear();
      await webhooks.stop();
    },
  };
}
