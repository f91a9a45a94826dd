import type { Context, MiddlewareHandler } from "hono";
import type { BucketPolicy } from "../../kernel/rate-limits.ts";
import { sha256Hex } from "../../lib/hash.ts";
import { errorResponse } from "../contractor-api/api-errors.ts";

export { type BucketPolicy, DEFAULT_RATE_LIMITS, type RateLimitSettings } from "../../kernel/rate-limits.ts";

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one token from the key's bucket, or says how many whole seconds until one is there. */
  take(key: string): TakeResult;
  /** Buckets held now (bounded by `maxKeys`). */
  readonly size: number;
}

export interface RateLimiterOptions {
  /** Epoch milliseconds; tests pass a fixed clock. */
  now?: () => number;
  /** Most buckets kept; beyond it full buckets go first, then the least recently used. */
  maxKeys?: number;
}

/**
 * In-memory token buckets, one per key. State lives in the limiter, which the app creates with
 * itself (no module singletons), so it is per process: with several Silta processes each keeps
 * its own count. Keys are fingerprints, never raw credentials.
 */
export function createRateLimiter(policy: BucketPolicy, options: RateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refilled = (bucket: { tokens: number; at: number }, t: number) =>
    Math.min(policy.burst, bucket.tokens + (Math.max(0, t - bucket.at) / 1000) * policy.perSecond);

  const makeRoom = (t: number) => {
    for (const [key, bucket] of buckets) if (refilled(bucket, t) >= policy.burst) buckets.delete(key);
    // Still full of busy clients: drop the least recently used (Map keeps insertion order; take re-inserts).
    for (const key of buckets.keys()) {
      if (buckets.size < maxKeys) break;
      buckets.delete(key);
    }
  };

  return {
    get size() {
      return buckets.size;
    },
    take(key) {
      if (policy.perSecond <= 0) return { ok: true };
      const t = now();
      const found = buckets.get(key);
      if (!found && buckets.size >= maxKeys) makeRoom(t);
      const tokens = found ? refilled(found, t) : policy.burst;
      buckets.delete(key);
      if (tokens >= 1) {
        buckets.set(key, { tokens: tokens - 1, at: t });
        return { ok: true };
      }
      buckets.set(key, { tokens, at: t });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / policy.perSecond)) };
    },
  };
}

/** A short, stable, non-reversible name for a credential: what limiters and logs use instead of it. */
export async function credentialFingerprint(credential: string): Promise<string> {
  return sha256Hex(credential).slice(0, 16);
}

/**
 * Answers 429 with `Retry-After` (seconds) and the shared error body when the request's key has
 * no token left. `keyOf` returns null for requests this limit does not apply to.
 */
export function rateLimit(
  limiter: RateLimiter,
  keyOf: (c: Context) => string | null | Promise<string | null>,
  what: string,
): MiddlewareHandler {
  return async (c, next) => {
    const key = await keyOf(c);
    if (key === null) return next();
    const taken = limiter.take(key);
    if (taken.ok) return next();
    c.header("Retry-After", String(taken.retryAfterSeconds));
    return errorResponse(c, "rate_limited", `too many requests ${what}; try again in ${taken.retryAfterSeconds} s`);
  };
}
