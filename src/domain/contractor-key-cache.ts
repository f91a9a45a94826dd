import type { Database } from "../db/client.ts";

/**
 * How long a process trusts a key it has found valid without asking the database again. Every
 * contractor call authenticates, and the lookup was one of a round trip's statements twice over.
 * A revocation takes effect at once in the process that made it (`forgetContractorKeys`) and
 * within this long in every other.
 */
export const CONTRACTOR_KEY_CACHE_MS = 5_000;
/** Valid keys only, and a bounded number: a flood of made-up keys finds nothing to fill. */
const MAX_CACHED_KEYS = 1_000;

type Cache = Map<string, { target: string; until: number }>;
/** Per database handle, so that two Silta instances in one process (tests) never share answers. */
const caches = new WeakMap<Database, Cache>();

/** The target of a key hash found valid within the last CONTRACTOR_KEY_CACHE_MS, or undefined. */
export function cachedContractorKey(database: Database, keyHash: string, now = Date.now()): string | undefined {
  const hit = caches.get(database)?.get(keyHash);
  return hit && hit.until > now ? hit.target : undefined;
}

/** Remembers a key hash the database found valid. */
export function rememberContractorKey(database: Database, keyHash: string, target: string, now = Date.now()): void {
  let cache = caches.get(database);
  if (!cache) {
    cache = new Map();
    caches.set(database, cache);
  }
  if (cache.size >= MAX_CACHED_KEYS) cache.clear();
  cache.set(keyHash, { target, until: now + CONTRACTOR_KEY_CACHE_MS });
}

/** Forgets every remembered key (a key was revoked or rotated here). */
export function forgetContractorKeys(database: Database): void {
  caches.delete(database);
}
