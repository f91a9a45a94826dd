/**
 * Full-jitter exponential backoff (AWS architecture blog): a wait drawn uniformly from
 * [0, min(cap, base · 2^attempt)). Spreads retries of many failed jobs instead of synchronising them.
 */
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
