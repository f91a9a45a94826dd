import { inArray } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { pollCursors } from "../../db/schema/index.ts";

/** `poll_cursors` rows that say how intake is doing (written by poll.ts and anti-entropy.ts). */
export const OPEN311_LAST_SUCCESS = "open311:last_success_at";
export const OPEN311_LAST_FAILURE = "open311:last_failure";
export const OPEN311_ANTI_ENTROPY = "open311:anti_entropy";

/** What the last anti-entropy re-read found (stored as JSON in `poll_cursors`). */
export interface SourceCoverage {
  at: string;
  /** The period re-read: cases updated since `from`. */
  from: string;
  /** Distinct cases the source listed. */
  sourceCases: number;
  /** Of those, cases Silta now holds or holds in quarantine. */
  accountedFor: number;
  /** Cases Silta had never seen before this re-read (each a `missing_in_silta` finding). */
  missing: number;
  /** Of the missing, cases taken in by this re-read. */
  repaired: number;
  /** Windows the source's list kept cut however they were read (each a `source_truncated` finding). */
  truncatedWindows: number;
  /** False when the intake reads only the public list, which does not show unpublished cases. */
  seesUnpublished: boolean;
}

export interface IntakeHealth {
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastFailureReason: string | null;
  /** No poll has succeeded for longer than allowed (or since start, when none has). */
  stale: boolean;
  coverage: SourceCoverage | null;
}

/** Reads intake health from `poll_cursors`. `since`: when this process started (a never-succeeded poll is stale after `staleMs` from it). */
export async function readIntakeHealth(
  database: Database,
  options: { now: Date; staleMs: number; since: Date },
): Promise<IntakeHealth> {
  const rows = await database.db
    .select()
    .from(pollCursors)
    .where(inArray(pollCursors.name, [OPEN311_LAST_SUCCESS, OPEN311_LAST_FAILURE, OPEN311_ANTI_ENTROPY]));
  const find = (name: string) => rows.find((row) => row.name === name)?.position ?? null;
  const lastSuccessAt = find(OPEN311_LAST_SUCCESS);
  const failure = parseJson<{ at: string; reason: string }>(find(OPEN311_LAST_FAILURE));
  const coverage = parseJson<SourceCoverage>(find(OPEN311_ANTI_ENTROPY));
  const reference = Math.max(lastSuccessAt ? Date.parse(lastSuccessAt) : 0, options.since.getTime());
  return {
    lastSuccessAt,
    lastFailureAt: failure?.at ?? null,
    lastFailureReason: failure?.reason ?? null,
    stale: options.now.getTime() - reference > options.staleMs,
    coverage,
  };
}

function parseJson<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
