import { inArray, sql } from "drizzle-orm";
import { pollCursors } from "../db/schema/index.ts";
import type { CaseRecord } from "../ports/case-system.ts";
import type { SiltaDeps } from "./deps.ts";
import { type IntakeSummary, ingestCases } from "./intake.ts";

export const OPEN311_CURSOR = "open311:updated_after";
/** When the last deep re-read started (shared by every Silta process on the database). */
export const OPEN311_DEEP_READ = "open311:deep_read_at";

export interface PollSummary extends IntakeSummary {
  from: string;
  until: string;
  /** This poll re-read the long overlap (`pollDeepOverlapMs`). */
  deep: boolean;
}

/**
 * One intake poll: reads every case updated since the stored cursor minus an overlap, ingests
 * them, then moves the cursor. The cursor moves only after the intake committed, so a crash
 * re-reads instead of skipping.
 *
 * Two overlaps: the source stamps whole seconds, so every poll re-reads a few seconds
 * (`pollOverlapMs`); and its commits can lag, so once every `pollDeepEveryMs` a poll re-reads
 * minutes (`pollDeepOverlapMs`). Re-reading minutes every second cost more than everything
 * else in intake under load (each re-read row is fetched, parsed and hashed to find it unchanged).
 */
export async function pollCaseSystem(deps: SiltaDeps): Promise<PollSummary> {
  const { db } = deps.database;
  const { pollOverlapMs, pollDeepOverlapMs, pollDeepEveryMs, pollLookbackMs } = deps.settings;
  const now = deps.now();
  const rows = await db
    .select()
    .from(pollCursors)
    .where(inArray(pollCursors.name, [OPEN311_CURSOR, OPEN311_DEEP_READ]));
  const cursor = rows.find((r) => r.name === OPEN311_CURSOR);
  const lastDeep = rows.find((r) => r.name === OPEN311_DEEP_READ);
  const deep = !lastDeep || now.getTime() - Date.parse(lastDeep.position) >= pollDeepEveryMs;
  const since = cursor
    ? new Date(Date.parse(cursor.position) - (deep ? pollDeepOverlapMs : pollOverlapMs))
    : new Date(now.getTime() - pollLookbackMs);
  // Page by page, so that a deep re-read or a long look-back is held in memory one page at a time.
  const summary: IntakeSummary = { seen: 0, new: 0, updated: 0, unchanged: 0, routed: 0, excluded: 0, cancelled: 0 };
  const take = async (records: CaseRecord[]) => {
    if (records.length === 0) return;
    const part = await ingestCases(deps, records);
    for (const key of Object.keys(summary) as (keyof IntakeSummary)[]) summary[key] += part[key];
  };
  await take(await deps.caseSystem.listChangedCases(since, now, take));
  const positions = [{ name: OPEN311_CURSOR, position: now.toISOString() }];
  if (deep) positions.push({ name: OPEN311_DEEP_READ, position: now.toISOString() });
  await db
    .insert(pollCursors)
    .values(positions)
    .onConflictDoUpdate({ target: pollCursors.name, set: { position: sql`excluded.position`, updatedAt: new Date() } });
  deps.metrics.intake(summary);
  deps.log.info({ from: since.toISOString(), until: now.toISOString(), deep, ...summary }, "open311 poll");
  return { ...summary, from: since.toISOString(), until: now.toISOString(), deep };
}
