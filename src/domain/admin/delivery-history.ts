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
}

export interface TargetHistory {
  target: string;
  buckets: HistoryBucket[];
}

/**
 * Deliveries over time per target, from the ledger (its attempts to targets and write-backs to
 * the case system, through the index on `at`): successful and failed attempts and the p95
 * latency per bucket, for the last hour (minutes), day (hours) or week (six hours). Empty
 * buckets are filled, so that a chart's x axis is the whole range.
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
  const byTarget = new Map<string, Map<number, (typeof rows)[number]>>();
  for (const row of rows) {
    const series = byTarget.get(row.target) ?? new Map();
    series.set(Number(row.bucket), row);
    byTarget.set(row.target, series);
  }
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
        };
      }),
    }));
}
