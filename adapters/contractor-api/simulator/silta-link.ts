import { parseRetryAfter } from "../../../src/lib/http-failure.ts";
import type { Rng } from "../../../src/lib/prng.ts";
import type { SimulatorStore } from "./store.ts";
import type { TimerSet } from "./timers.ts";

/** Where Silta's contractor API lives, relative to Silta's base URL. */
export const SILTA_CONTRACTOR_API_PATH = "/api/contractor/v1";
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_ATTEMPTS = 5;
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 5_000;

export interface SiltaTarget {
  baseUrl: string;
  apiKey: string;
}

export interface StatusEvent {
  workOrderId: string;
  status: string;
  occurredAt: string;
  idempotencyKey: string;
  note?: string;
  /** Fields beyond the protocol, sent along in the body (the hostile knob). */
  extra?: Record<string, unknown>;
}

/**
 * The simulated contractor's calls to Silta: status events (retried with the same
 * Idempotency-Key, with capped exponential backoff) and pages of the pull feed.
 */
export function createSiltaLink(deps: {
  store: SimulatorStore;
  rng: Rng;
  timers: TimerSet;
  /** Aborted by `stop()`, so that nothing stays in flight. */
  signal: AbortSignal;
  duplicateEventRate: () => number;
  /** Attempts per event; default 5. */
  maxAttempts?: number;
}) {
  const maxAttempts = deps.maxAttempts ?? MAX_ATTEMPTS;
  let target: SiltaTarget | null = null;

  function requestSignal(): AbortSignal {
    return AbortSignal.any([deps.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
  }

  async function postOnce(
    event: StatusEvent,
    attempt: number,
    duplicate: boolean,
  ): Promise<{ ok: boolean; retryAfterMs?: number; retryable: boolean }> {
    const record = (httpStatus: number | null, ok: boolean) =>
      deps.store.recordEvent({
        workOrderId: event.workOrderId,
        idempotencyKey: event.idempotencyKey,
        status: event.status,
        occurredAt: event.occurredAt,
        attempt,
        httpStatus,
        ok,
        duplicate,
      });
    if (!target) {
      record(null, false);
      return { ok: false, retryable: false };
    }
    const body = {
      ...event.extra,
      status: event.status,
      occurredAt: event.occurredAt,
      ...(event.note ? { note: event.note } : {}),
    };
    try {
      const response = await fetch(
        `${target.baseUrl}${SILTA_CONTRACTOR_API_PATH}/work-orders/${encodeURIComponent(event.workOrderId)}/events`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${target.apiKey}`,
            "idempotency-key": event.idempotencyKey,
            "content-type": "application/json",
          },
          body: JSON.stringify(body),
          signal: requestSignal(),
          redirect: "manual",
        },
      );
      await response.body?.cancel();
      record(response.status, response.ok);
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      return { ok: response.ok, retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    } catch {
      record(null, false);
      return { ok: false, retryable: !deps.signal.aborted };
    }
  }

  return {
    setTarget(next: SiltaTarget): void {
      target = { baseUrl: next.baseUrl.replace(/\/+$/, ""), apiKey: next.apiKey };
    },
    target: (): SiltaTarget | null => target,

    /**
     * Posts one status event; retries network errors, 408, 429 and 5xx (five attempts unless set) with
     * the same Idempotency-Key and body. Resolves true once Silta accepted it.
     */
    async postEvent(event: StatusEvent): Promise<boolean> {
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const result = await postOnce(event, attempt, false);
        if (result.ok) {
          if (deps.rng.chance(deps.duplicateEventRate())) await postOnce(event, attempt, true);
          return true;
        }
        if (!result.retryable || attempt === maxAttempts || deps.signal.aborted) return false;
        const backoff = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
        await deps.timers.sleep(Math.min(BACKOFF_CAP_MS, Math.max(result.retryAfterMs ?? 0, deps.rng.int(backoff / 2, backoff))));
        if (deps.signal.aborted) return false;
      }
      return false;
    },

    /** Sends a photo of a work order (the crew's phone picture); retries 5xx and network errors three times. */
    async postPhoto(workOrderId: string, bytes: Uint8Array, kind: "before" | "after" | "completion"): Promise<boolean> {
      for (let attempt = 1; attempt <= 3 && target && !deps.signal.aborted; attempt++) {
        try {
          const response = await fetch(
            `${target.baseUrl}${SILTA_CONTRACTOR_API_PATH}/work-orders/${encodeURIComponent(workOrderId)}/photos?kind=${kind}`,
            {
              method: "POST",
              headers: { authorization: `Bearer ${target.apiKey}`, "content-type": "image/jpeg" },
              body: new Uint8Array(bytes),
              signal: requestSignal(),
              redirect: "manual",
            },
          );
          await response.body?.cancel();
          if (response.ok) return true;
          if (response.status < 500) return false;
        } catch {
          // A network error: try again.
        }
        await deps.timers.sleep(BACKOFF_BASE_MS * attempt);
      }
      return false;
    },

    /** One page of Silta's pull feed after `cursor`, unvalidated; null when Silta is not configured or did not answer. */
    async fetchFeed(cursor: string | null, limit: number): Promise<unknown> {
      if (!target) return null;
      const url = new URL(`${target.baseUrl}${SILTA_CONTRACTOR_API_PATH}/work-orders`);
      url.searchParams.set("limit", String(limit));
      if (cursor !== null) url.searchParams.set("cursor", cursor);
      try {
        const response = await fetch(url, {
          headers: { authorization: `Bearer ${target.apiKey}` },
          signal: requestSignal(),
          redirect: "manual",
        });
        if (!response.ok) {
          await response.body?.cancel();
          return null;
        }
        return await response.json();
      } catch {
        return null;
      }
    },
  };
}

export type SiltaLink = ReturnType<typeof createSiltaLink>;
