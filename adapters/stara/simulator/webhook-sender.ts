import type { Rng } from "../../../src/lib/prng.ts";
import { signWebhook } from "../../../src/lib/webhook-signature.ts";
import type { StaraSimKnobs } from "./knobs.ts";
import type { StaraEvent } from "./store.ts";
import type { TimerRegistry } from "./timers.ts";

/** Where status webhooks go; no URL means Stara has no subscriber and sends nothing. */
export interface WebhookTarget {
  url: string | null;
  secrets: string[];
}

/** Counters for `/__sim/state` and for checkers. */
export interface WebhookStats {
  /** Events handed to the sender while a target was set. */
  events: number;
  /** Events produced while no target was set (only the change feed has them). */
  eventsWithoutTarget: number;
  /** Distinct messages (webhook-ids) built. */
  messages: number;
  /** HTTP delivery attempts, retries and duplicates included. */
  attempts: number;
  /** Attempts answered 2xx. */
  delivered: number;
  /** Attempts that failed (non-2xx, timeout, refused). */
  failedAttempts: number;
  /** Messages dropped after `webhookMaxAttempts`. */
  gaveUp: number;
  /** Messages sent a second time on purpose (`webhookDuplicateRate`). */
  duplicatesSent: number;
  /** Events held back on purpose (`webhookShuffleRate`). */
  shuffled: number;
  lastFailure: string | null;
}

export interface WebhookSender {
  enqueue(event: StaraEvent): void;
  setTarget(url: string | null, secrets?: string[]): void;
  readonly target: Readonly<WebhookTarget>;
  readonly stats: Readonly<WebhookStats>;
  readonly inFlight: number;
  /** Aborts deliveries in flight and waits for them to settle. */
  stop(): Promise<void>;
}

interface Message {
  id: string;
  body: string;
}

const MAX_EVENTS_PER_MESSAGE = 100;

/**
 * Stara's webhook delivery: batches events produced close together, signs each message in the
 * Standard Webhooks style (re-signed on every attempt, as real senders do, so a retry carries a
 * fresh timestamp but the same `webhook-id`), retries failures with exponential backoff, and
 * on purpose duplicates or delays some events when the knobs say so.
 */
export function createWebhookSender(deps: {
  knobs: StaraSimKnobs;
  rng: Rng;
  timers: TimerRegistry;
  now: () => number;
  instanceId: string;
  target: WebhookTarget;
}): WebhookSender {
  const { knobs, rng, timers, now } = deps;
  const target: WebhookTarget = { url: deps.target.url, secrets: [...deps.target.secrets] };
  const stats: WebhookStats = {
    events: 0,
    eventsWithoutTarget: 0,
    messages: 0,
    attempts: 0,
    delivered: 0,
    failedAttempts: 0,
    gaveUp: 0,
    duplicatesSent: 0,
    shuffled: 0,
    lastFailure: null,
  };
  const pending: StaraEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  const abort = new AbortController();
  let flushScheduled = false;
  let messageSeq = 0;

  const addPending = (event: StaraEvent): void => {
    pending.push(event);
    if (flushScheduled) return;
    flushScheduled = timers.after(knobs.webhookBatchWindowMs, flush) !== null;
  };

  const flush = (): void => {
    flushScheduled = false;
    while (pending.length > 0) {
      const events = pending.splice(0, MAX_EVENTS_PER_MESSAGE);
      messageSeq += 1;
      const message: Message = { id: `msg_${deps.instanceId}_${messageSeq}`, body: JSON.stringify({ tapahtumat: events }) };
      stats.messages += 1;
      send(message, 1);
      if (rng.chance(knobs.webhookDuplicateRate)) {
        stats.duplicatesSent += 1;
        timers.after(rng.int(0, 20), () => send(message, 1));
      }
    }
  };

  const send = (message: Message, attempt: number): void => {
    const delivery = attemptDelivery(message, attempt).finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  };

  const attemptDelivery = async (message: Message, attempt: number): Promise<void> => {
    const { url, secrets } = target;
    if (!url || abort.signal.aborted) return;
    stats.attempts += 1;
    let failure: string | null = null;
    try {
      const headers = signWebhook(secrets, message.body, message.id, new Date(now()));
      const response = await fetch(url, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: message.body,
        redirect: "manual",
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(knobs.webhookTimeoutMs)]),
      });
      // Drain the answer so the connection can be reused or closed; its content does not matter.
      await response.body?.cancel();
      if (!response.ok) failure = `HTTP ${response.status}`;
    } catch (error) {
      if (abort.signal.aborted) return;
      failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (failure === null) {
      stats.delivered += 1;
      return;
    }
    stats.failedAttempts += 1;
    stats.lastFailure = failure;
    if (attempt >= knobs.webhookMaxAttempts) {
      stats.gaveUp += 1;
      return;
    }
    timers.after(knobs.webhookRetryBaseMs * 2 ** (attempt - 1), () => send(message, attempt + 1));
  };

  return {
    enqueue(event) {
      if (!target.url) {
        stats.eventsWithoutTarget += 1;
        return;
      }
      stats.events += 1;
      if (rng.chance(knobs.webhookShuffleRate)) {
        stats.shuffled += 1;
        const hold = Math.round(knobs.webhookShuffleDelayMs * (0.5 + rng.next()));
        timers.after(hold, () => addPending(event));
        return;
      }
      addPending(event);
    },
    setTarget(url, secrets) {
      target.url = url;
      if (secrets) target.secrets = [...secrets];
    },
    get target() {
      return target;
    },
    get stats() {
      return stats;
    },
    get inFlight() {
      return inFlight.size;
    },
    async stop() {
      abort.abort();
      pending.length = 0;
      await Promise.allSettled([...inFlight]);
    },
  };
}
