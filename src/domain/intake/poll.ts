import { inArray, sql } from "drizzle-orm";
import { describeFailure } from "../../db/describe-database-error.ts";
import { pollCursors } from "../../db/schema/index.ts";
import type { CaseRecord, ListReport, RejectedCaseRow } from "../../ports/case-system.ts";
import type { SiltaDeps } from "../deps.ts";
import { recordFindings } from "../reconcile/record-findings.ts";
import { emptyIntakeSummary, type IntakeSummary, ingestCases } from "./ingest.ts";
import { OPEN311_LAST_FAILURE, OPEN311_LAST_SUCCESS } from "./intake-health.ts";
import { quarantineSourceRecords } from "./intake-quarantine.ts";

export const OPEN311_CURSOR = "open311:updated_after";
/** When the last deep re-read started (shared by every Silta process on the database). */
export const OPEN311_DEEP_READ = "open311:deep_read_at";

export interface PollSummary extends IntakeSummary {
  from: string;
  until: string;
  /** This poll re-read the long overlap (`pollDeepOverlapMs`). */
  deep: boolean;
  /** Listed rows that could not be read as cases (held in quarantine). */
  rejected: number;
  /** Windows still cut however they were read (each a `source_truncated` finding). */
  truncatedWindows: number;
}

/** Adds one intake round's counts to a running total. */
export function addIntake(total: IntakeSummary, part: IntakeSummary): void {
  for (const key of Object.keys(total) as (keyof IntakeSummary)[]) total[key] += part[key];
}

/** Collects what a list read could not take in, to record once the read is over. */
export function collectListProblems() {
  const rejected: RejectedCaseRow[] = [];
  const truncated: { after: Date; before: Date; rowCount: number }[] = [];
  const report: ListReport = {
    rejected: (row) => rejected.push(row),
    truncated: (window) => truncated.push(window),
  };
  return { report, rejected, truncated };
}

/**
 * Records what a list read could not take in: each unreadable row is held in quarantine (its
 * reason and hash, never the row), and each window still cut becomes a `source_truncated`
 * finding for admins. Returns how many rows were newly quarantined.
 */
export async function recordListProblems(deps: SiltaDeps, problems: ReturnType<typeof collectListProblems>): Promise<number> {
  const fresh = await quarantineSourceRecords(
    deps.database,
    problems.rejected.map((row) => ({ serviceRequestId: row.serviceRequestId, reason: row.reason, rowHash: row.rowHash })),
  );
  if (problems.truncated.length > 0) {
    await recordFindings(
      deps.database,
      problems.truncated.map((window) => ({
        kind: "source_truncated" as const,
        subject: `window:${window.after.toISOString()}/${window.before.toISOString()}`,
        linkId: null,
        caseId: null,
        target: null,
        detail: { after: window.after.toISOString(), before: window.before.toISOString(), rows: window.rowCount },
        suggestedAction:
          "The source's list stayed at its row cap for this window even split by second, status and service code: " +
          "cases updated in it may be unseen. Set SILTA_OPEN311_PAGE_SIZE or ask the city for paging; the nightly re-read retries.",
        repair: null,
      })),
      0,
    );
  }
  return fresh;
}

/**
 * One intake poll: reads every case updated since the stored cursor minus an overlap, ingests
 * them, then moves the cursor. The cursor moves only after the intake committed, so a crash
 * re-reads instead of skipping. Unreadable rows are quarantined and the rest go in; a failed
 * poll is recorded (`open311:last_failure`) for readiness, metrics and the console.
 *
 * Two overlaps: the source stamps whole seconds, so every poll re-reads a few seconds
 * (`pollOverlapMs`); and its commits can lag, so once every `pollDeepEveryMs` a poll re-reads
 * minutes (`pollDeepOverlapMs`). Re-reading minutes every second cost more than everything
 * else in intake under load (each re-read row is fetched, parsed and hashed to find it unchanged).
 * What even that misses (a case published long after its last update) the anti-entropy
 * re-read finds (anti-entropy.ts).
 */
export async function pollCaseSystem(deps: SiltaDeps): Promise<PollSummary> {
  const { db } = deps.database;
  const { pollOverlapMs, pollDeepOverlapMs, pollDeepEveryMs, pollLookbackMs } = deps.settings;
  const now = deps.now();
  const problems = collectListProblems();
  const summary = emptyIntakeSummary();
  let since = now;
  let deep = false;
  try {
    const rows = await db
      .select()
      .from(pollCursors)
      .where(inArray(pollCursors.name, [OPEN311_CURSOR, OPEN311_DEEP_READ]));
    const cursor = rows.find((r) => r.name === OPEN311_CURSOR);
    const lastDeep = rows.find((r) => r.name === OPEN311_DEEP_READ);
    deep = !lastDeep || now.getTime() - Date.parse(lastDeep.position) >= pollDeepEveryMs;
    since = cursor
      ? new Date(Date.parse(cursor.position) - (deep ? pollDeepOverlapMs : pollOverlapMs))
      : new Date(now.getTime() - pollLookbackMs);
    // Page by page, so that a deep re-read or a long look-back is held in memory one page at a time.
    const take = async (records: CaseRecord[]) => {
      if (records.length > 0) addIntake(summary, await ingestCases(deps, records));
    };
    await take(await deps.caseSystem.listChangedCases(since, now, take, problems.report));
    summary.quarantined += await recordListProblems(deps, problems);
    const positions = [
      { name: OPEN311_CURSOR, position: now.toISOString() },
      { name: OPEN311_LAST_SUCCESS, position: now.toISOString() },
    ];
    if (deep) positions.push({ name: OPEN311_DEEP_READ, position: now.toISOString() });
    await db
      .insert(pollCursors)
      .values(positions)
      .onConflictDoUpdate({ target: pollCursors.name, set: { position: sql`excluded.position`, updatedAt: new Date() } });
  } catch (error) {
    await recordPollFailure(deps, now, error, problems);
    throw error;
  }
  deps.metrics.intake(summary);
  deps.metrics.poll?.({ ok: true });
  const result = {
    ...summary,
    from: since.toISOString(),
    until: now.toISOString(),
    deep,
    rejected: problems.rejected.length,
    truncatedWindows: problems.truncated.length,
  };
  deps.log.info(result, "open311 poll");
  return result;
}

/** Records a failed poll where readiness and the console read it; what the read took in before failing is kept. */
async function recordPollFailure(
  deps: SiltaDeps,
  at: Date,
  error: unknown,
  problems: ReturnType<typeof collectListProblems>,
): Promise<void> {
  const reason = describeFailure(error);
  deps.metrics.poll?.({ ok: false });
  try {
    await recordListProblems(deps, problems);
    await deps.database.db
      .insert(pollCursors)
      .values({ name: OPEN311_LAST_FAILURE, position: JSON.stringify({ at: at.toISOString(), reason }) })
      .onConflictDoUpdate({ target: pollCursors.name, set: { position: sql`excluded.position`, updatedAt: new Date() } });
  } catch (inner) {
    // The database itself may be what failed; the caller logs the original error.
    deps.log.warn({ err: describeFailure(inner) }, "could not record the failed poll");
  }
}
