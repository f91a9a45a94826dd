import { eq } from "drizzle-orm";
import { pollCursors } from "../db/schema/index.ts";
import type { SiltaDeps } from "./deps.ts";
import { type IntakeSummary, ingestCases } from "./intake.ts";

export const OPEN311_CURSOR = "open311:updated_after";

export interface PollSummary extends IntakeSummary {
  from: string;
  until: string;
}

/**
 * One intake poll: reads every case updated since the stored cursor (minus an overlap, since
 * the source stamps whole seconds and its commits can lag), ingests them, then moves the cursor.
 * The cursor moves only after the intake committed, so a crash re-reads instead of skipping.
 */
export async function pollCaseSystem(deps: SiltaDeps): Promise<PollSummary> {
  const { db } = deps.database;
  const now = deps.now();
  const [cursor] = await db.select().from(pollCursors).where(eq(pollCursors.name, OPEN311_CURSOR));
  const since = cursor
    ? new Date(Date.parse(cursor.position) - deps.settings.pollOverlapMs)
    : new Date(now.getTime() - deps.settings.pollLookbackMs);
  const records = await deps.caseSystem.listChangedCases(since, now);
  const summary = await ingestCases(deps, records);
  await db
    .insert(pollCursors)
    .values({ name: OPEN311_CURSOR, position: now.toISOString() })
    .onConflictDoUpdate({ target: pollCursors.name, set: { position: now.toISOString(), updatedAt: new Date() } });
  deps.metrics.intake(summary);
  deps.log.info({ from: since.toISOString(), until: now.toISOString(), ...summary }, "open311 poll");
  return { ...summary, from: since.toISOString(), until: now.toISOString() };
}
