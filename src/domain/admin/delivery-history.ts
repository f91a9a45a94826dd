import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";

export const HISTORY_RANGES = {
  hour: { spanMs: 3_600_000, bucketMs: 60_000 },
  day: { spanMs: 86_400_000, bucketMs: 3_600_000 },
  week: { spanMs: 7 * 86_400_000, bucketMs: 6 * 3_600_000 },
} as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;

export interface HistoryBucket {
  /** Start of the bucket (ISO). */
  at: string;
  delivered: number;
  failed: number;
  /** 95th percentile of the attempts' latency, ms; null without attempts. */
  p95Ms: number | null;
  /** Age of the oldest job waiting for the target at the bucket's end, seconds; 0 when none waited. */
  backlogAgeS: number;
}

export interface TargetHistory {
  target: string;
  buckets: HistoryBucket[];
}

/**
 * Deliveries over time per target, from the ledger (its attempts to targets and write-backs to
 * the case system, through the index on `at`): successful and failed attempts and the p95
 * latency per bucket, for the last hour (minutes), day (hours) or week (six hours); and the
 * backlog's age at each bucket's end, derived from the jobs' creation and finish times (no
 * samples to store). Empty buckets are filled, so that a chart's x axis is the whole range.
 */
export async function readDeliveryHistory(database: Database, range: HistoryRange, now: Date): Promise<TargetHistory[]> {
  const { spanMs, bucketMs } = HISTORY_RANGES[range];
  const end = Math.ceil(now.getTime() / bucketMs) * bucketMs;
  const start = end - spanMs;
  const rows = await database.rows<{ target: string; bucket: number; ok: number; failed: number; p95: number | null }>(sql`
    select target, floor(extract(epoch from at) * 1000 / ${bucketMs})::bigint as bucket,
      count(*) filter (where outcome = 'ok')::int as ok,
      count(*) filter (where outcome <> 'ok')::int as failed,
      percentile_cont(0.95) within group (order by latency_ms) as p95
    from ledger_entries
    where at >= ${new Date(start).toISOString()}::timestamptz and direction in ('target_out', 'source_out')
      and operation in ('create_work_order', 'cancel_work_order', 'write_back') and target is not null
    group by 1, 2`);
  const ages = await readBacklogAges(database, start, bucketMs, spanMs / bucketMs, now);
  const byTarget = new Map<string, Map<number, (typeof rows)[number]>>();
  for (const row of rows) {
    const series = byTarget.get(row.target) ?? new Map();
    series.set(Number(row.bucket), row);
    byTarget.set(row.target, series);
  }
  for (const target of ages.keys()) if (!byTarget.has(target)) byTarget.set(target, new Map());
  return [...byTarget.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([target, series]) => ({
      target,
      buckets: Array.from({ length: spanMs / bucketMs }, (_, i) => {
        const bucketStart = start + i * bucketMs;
        const row = series.get(bucketStart / bucketMs);
        return {
          at: new Date(bucketStart).toISOString(),
          delivered: Number(row?.ok ?? 0),
          failed: Number(row?.failed ?? 0),
          p95Ms: row?.p95 == null ? null : Math.round(Number(row.p95)),
          backlogAgeS: ages.get(target)?.get(i) ?? 0,
        };
      }),
    }));
}

/**
 * Per target and bucket index, the age in seconds of the oldest job that was waiting at the
 * bucket's end (created before it, not yet finished then); skipped jobs never waited for the
 * target. Reads only the jobs alive during the range.
 */
async function readBacklogAges(
  database: Database,
  start: number,
  bucketMs: number,
  buckets: number,
  now: Date,
): Promise<Map<string, Map<number, number>>> {
  const from = new Date(start).toISOString();
  const rows = await database.rows<{ target: string; i: number; age: number }>(sql`
    with ends as (
      select i, least(${from}::timestamptz + (i + 1) * ${bucketMs} * interval '1 millisecond', ${now.toISOString()}::timestamptz) as t
      from generate_series(0, ${buckets - 1}) i
    ), alive as (
      select target, created_at, finished_at from outbox_jobs
      where state <> 'skipped' and created_at < ${now.toISOString()}::timestamptz
        and (finished_at is null or finished_at > ${from}::timestamptz)
    )
    select a.target, e.i, max(extract(epoch from e.t - a.created_at))::float8 as age
    from ends e join alive a on a.created_at < e.t and (a.finished_at is null or a.finished_at > e.t)
    group by 1, 2`);
  const ages = new Map<string, Map<number, number>>();
  for (const row of rows) {
    const series = ages.get(row.target) ?? new Map<number, number>();
    series.set(Number(row.i), Math.round(Number(row.age)));
    ages.set(row.target, series);
  }
  return ages;
}
