import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import type { Database } from "./client.ts";
import { type DatabaseErrorDescription, describeDatabaseError } from "./describe-database-error.ts";

export interface WaitForDatabaseOptions {
  /** Give up after this long, in milliseconds; default 5 minutes; 0 waits for ever. */
  timeoutMs?: number;
  /** Receives one short line per failed attempt (code and message, never the URL or parameters). */
  log?: (line: string) => void;
  /** Stops waiting: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export const WAIT_FOR_DATABASE_DEFAULT_TIMEOUT_MS = 5 * 60_000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
/** The least time one attempt is given, even when the deadline is closer. */
const MIN_ATTEMPT_MS = 1_000;

/**
 * Waits until the database answers `select 1`. postgres.js connects lazily, so a process that
 * starts while PostgreSQL is still down (a restart, a container starting in parallel) would
 * otherwise crash on its first query. Retries with backoff doubling from 0.5 s to 10 s, logs
 * each failure as one line, and rejects once `timeoutMs` has passed with an Error naming the
 * last failure. An attempt that hangs (a black-holed host) counts as failed when the time is up.
 */
export async function waitForDatabase(database: Database, options: WaitForDatabaseOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? WAIT_FOR_DATABASE_DEFAULT_TIMEOUT_MS;
  const { log, signal } = options;
  const started = Date.now();
  const deadline = timeoutMs > 0 ? started + timeoutMs : Number.POSITIVE_INFINITY;
  let delayMs = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt += 1) {
    signal?.throwIfAborted();
    const failure = await tryOnce(database, deadline - Date.now(), signal);
    signal?.throwIfAborted();
    if (failure === null) {
      if (attempt > 1) log?.(`database reachable after ${attempt} attempts (${seconds(Date.now() - started)})`);
      return;
    }
    const reason = [failure.code, failure.message].filter(Boolean).join(" ");
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      throw new Error(
        `database unreachable after ${seconds(Date.now() - started)}: ${reason}; check DATABASE_URL and that PostgreSQL is running`,
      );
    }
    const waitMs = Math.min(delayMs, remainingMs);
    log?.(`database not reachable (attempt ${attempt}): ${reason}; retrying in ${seconds(waitMs)}`);
    await sleep(waitMs, undefined, signal ? { signal } : {}).catch((error: unknown) => {
      throw signal?.aborted ? signal.reason : error;
    });
    delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
  }
}

/**
 * One `select 1`: null when it answered, else what went wrong. It is given the time left (at
 * least `MIN_ATTEMPT_MS`) and stops early when `signal` aborts; a query still hanging then is
 * left to postgres.js's own connect timeout.
 */
async function tryOnce(database: Database, remainingMs: number, signal?: AbortSignal): Promise<DatabaseErrorDescription | null> {
  const query = database.rows(sql`select 1`).then(
    () => null,
    (error: unknown) => describeDatabaseError(error),
  );
  const bounded = Number.isFinite(remainingMs);
  if (!bounded && !signal) return query;
  const stop = new AbortController();
  const stopSignal = signal ? AbortSignal.any([stop.signal, signal]) : stop.signal;
  const givenUp = bounded
    ? sleep(Math.max(remainingMs, MIN_ATTEMPT_MS), undefined, { signal: stopSignal }).then(
        (): DatabaseErrorDescription => ({ code: null, message: "no answer in time" }),
        (): DatabaseErrorDescription => ({ code: null, message: "stopped" }),
      )
    : new Promise<DatabaseErrorDescription>((resolve) =>
        stopSignal.addEventListener("abort", () => resolve({ code: null, message: "stopped" }), { once: true }),
      );
  try {
    return await Promise.race([query, givenUp]);
  } finally {
    stop.abort();
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}
