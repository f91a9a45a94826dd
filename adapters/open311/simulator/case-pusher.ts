import pRetry from "p-retry";
import { signWebhook } from "../../../src/lib/webhook-signature.ts";
import type { WireRecord } from "./store.ts";

/** Counters for `/__sim/state` and for benches: what the push mode sent and what it gave up on. */
export interface PushStats {
  /** Records handed over while a push target was set. */
  records: number;
  /** Requests answered 2xx. */
  delivered: number;
  /** Attempts that failed (non-2xx, timeout, refused). */
  failedAttempts: number;
  /** Records in requests given up after the last retry: only the poll finds those now. */
  gaveUpRecords: number;
}

export interface CasePusher {
  /** Queues a case as served (`extensions=true`); cases queued in one tick go out in one request. */
  queue(record: WireRecord): void;
  setTarget(url: string | null, secrets?: readonly string[]): void;
  /** Where pushes go; null: pushing is off. */
  readonly targetUrl: string | null;
  readonly stats: Readonly<PushStats>;
  /** Sends what is queued and waits for every request in flight. */
  drain(): Promise<void>;
}

/** Helsinki's list answers hold at most 200 rows; a push of that size fits Silta's 1 MiB body cap. */
const MAX_RECORDS_PER_PUSH = 200;

/**
 * The simulator's push mode: a city system that posts new and changed cases to Silta
 * (`POST /intake/open311`, a JSON array of GeoReport v2 requests, Standard Webhooks signature,
 * re-signed on each attempt) instead of waiting to be polled. Failed pushes are retried a few
 * times and then dropped, as a real sender would: Silta's poll is what finds them afterwards.
 */
export function createCasePusher(
  options: { url?: string | null; secrets?: readonly string[]; retries?: number } = {},
): CasePusher {
  let url = options.url ?? null;
  let secrets = [...(options.secrets ?? [])];
  const stats: PushStats = { records: 0, delivered: 0, failedAttempts: 0, gaveUpRecords: 0 };
  const queued: WireRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  let flushing = false;
  let seq = 0;

  const post = async (body: string, id: string): Promise<void> => {
    const target = url;
    if (!target) return;
    const response = await fetch(target, {
      method: "POST",
      headers: { ...signWebhook(secrets, body, id), "content-type": "application/json" },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  };

  const flush = (): void => {
    flushing = false;
    while (queued.length > 0) {
      const batch = queued.splice(0, MAX_RECORDS_PER_PUSH);
      seq += 1;
      const body = JSON.stringify(batch);
      const id = `push_${seq}`;
      const sent = pRetry(() => post(body, id), {
        retries: options.retries ?? 3,
        minTimeout: 200,
        onFailedAttempt: () => {
          stats.failedAttempts += 1;
        },
      })
        .then(() => {
          stats.delivered += 1;
        })
        .catch(() => {
          stats.gaveUpRecords += batch.length;
        })
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    }
  };

  return {
    queue(record) {
      if (!url) return;
      stats.records += 1;
      queued.push(record);
      if (flushing) return;
      flushing = true;
      setTimeout(flush, 0);
    },
    setTarget(next, nextSecrets) {
      url = next;
      if (nextSecrets) secrets = [...nextSecrets];
    },
    get targetUrl() {
      return url;
    },
    get stats() {
      return stats;
    },
    async drain() {
      flush();
      await Promise.allSettled([...inFlight]);
    },
  };
}
