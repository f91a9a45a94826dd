import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { ERROR_CODES, type ErrorCode } from "../../kernel/errors.ts";
import type { Mappings } from "../../mappings/mappings.ts";
import { listActivePauses } from "../target-pauses.ts";

export type TargetHealthState = "ok" | "degraded" | "down" | "paused";

export interface TargetHealth {
  target: string;
  name: string;
  state: TargetHealthState;
  /** Jobs waiting whose last attempt failed with a retryable error (the target did not take them). */
  failing: number;
  /** Jobs waiting or running for the target. */
  waiting: number;
  /** Age of the oldest of them, in seconds. */
  oldestAgeSeconds: number;
  /** The most common error among the failing ones. */
  lastError: ErrorCode | null;
  /** Set while an admin has the target paused (its state is then `paused`). */
  pause: { reason: string; until: string | null; pausedBy: string } | null;
}

/** Retryable error classes: the target is unreachable or failing, as opposed to refusing one order. */
const RETRYABLE_CODES = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) =>
  ["transient", "rate_limited", "indeterminate"].includes(ERROR_CODES[code]),
);

/**
 * How each target looks from its queue, cheaply (the pending and running jobs only, through
 * their partial indexes): `down` when at least three waiting jobs failed with a retryable error
 * and they are most of what waits; `degraded` when any failed so, or the oldest has waited over
 * ten minutes; `paused` while an admin holds it (target-pauses.ts). The console shows a banner
 * for every target that is not `ok`.
 */
export async function readTargetHealth(
  database: Database,
  mappings: Mappings,
  options: { includeIdle?: boolean } = {},
): Promise<TargetHealth[]> {
  const codes = sql.join(
    RETRYABLE_CODES.map((code) => sql`${code}`),
    sql`, `,
  );
  const rows = await database.rows<{
    target: string;
    waiting: number;
    failing: number;
    oldest: number;
    error: string | null;
  }>(sql`
    select target, count(*)::int as waiting,
      count(*) filter (where state = 'pending' and last_error_code in (${codes}))::int as failing,
      coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as oldest,
      mode() within group (order by last_error_code) filter (where last_error_code in (${codes})) as error
    from outbox_jobs where state in ('pending', 'running')
    group by target order by target`);
  const pauses = new Map((await listActivePauses(database)).map((pause) => [pause.target, pause]));
  // A paused target shows even with nothing waiting: the admin must see it is held.
  const idle = options.includeIdle ? [...mappings.targets.keys(), "case-system"] : [];
  for (const target of [...pauses.keys(), ...idle])
    if (!rows.some((row) => row.target === target)) rows.push({ target, waiting: 0, failing: 0, oldest: 0, error: null });
  rows.sort((a, b) => a.target.localeCompare(b.target));
  return rows.map((row) => {
    const failing = Number(row.failing);
    const waiting = Number(row.waiting);
    const oldestAgeSeconds = Math.round(Number(row.oldest));
    const pause = pauses.get(row.target);
    const state: TargetHealthState = pause
      ? "paused"
      : failing >= 3 && failing * 5 >= waiting * 4
        ? "down"
        : failing > 0 || oldestAgeSeconds > 600
          ? "degraded"
          : "ok";
    return {
      target: row.target,
      name: row.target === "case-system" ? "Case system (write-back)" : (mappings.targets.get(row.target)?.name ?? row.target),
      state,
      failing,
      waiting,
      oldestAgeSeconds,
      lastError: (row.error as ErrorCode | null) ?? null,
      pause: pause ? { reason: pause.reason, until: pause.until, pausedBy: pause.pausedBy } : null,
    };
  });
}
