import { sql } from "drizzle-orm";
import { pollCursors } from "../../db/schema/index.ts";
import type { CaseRecord } from "../../ports/case-system.ts";
import type { SiltaDeps } from "../deps.ts";
import { recordFindings } from "../reconcile/record-findings.ts";
import { emptyIntakeSummary, ingestCases } from "./ingest.ts";
import { OPEN311_ANTI_ENTROPY, type SourceCoverage } from "./intake-health.ts";
import { addIntake, collectListProblems, recordListProblems } from "./poll.ts";

export interface AntiEntropyOptions {
  /** Re-read every case updated in the last this many days (default: the retention period). */
  days: number;
  /**
   * Also re-read the cases still open that were last updated up to this many days ago (when
   * more than `days`): an open case untouched for longer than the retention window is still
   * the city's to account for.
   */
  openDays?: number;
  /** Pause after each list answer, so that a whole re-read stays gentle on the city's server. */
  callGapMs: number;
  /** Told after each window (progress for the CLI). */
  onProgress?: (coverage: { sourceCases: number; missing: number }) => void;
}

export interface AntiEntropySummary extends SourceCoverage {
  intake: ReturnType<typeof emptyIntakeSummary>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Anti-entropy: re-reads the source's whole set (every case updated within `days`, and every
 * case still open updated within `openDays`, paged and windowed like a poll, one call at a time
 * with a pause between), not only its recent changes.
 * Polls look back minutes; a case published long after its last update, a push that never
 * came, or a window a server cut shows up here. Each case Silta had never seen is a
 * `missing_in_silta` finding, repaired at once by taking the case in (the finding then closes
 * itself with its repair recorded); changed cases are taken in as a poll would. The coverage
 * (cases at the source, cases accounted for) is stored for `silta ledger check`, `/readyz` and
 * the console.
 */
export async function reReadSource(deps: SiltaDeps, options: AntiEntropyOptions): Promise<AntiEntropySummary> {
  const now = deps.now();
  const from = new Date(now.getTime() - options.days * 86_400_000);
  const problems = collectListProblems();
  const intake = emptyIntakeSummary();
  const seen = new Set<string>();
  let missing = 0;
  let repaired = 0;

  const take = async (records: CaseRecord[]) => {
    if (records.length === 0) return;
    const fresh = records.filter((record) => !seen.has(record.serviceRequestId));
    for (const record of fresh) seen.add(record.serviceRequestId);
    const ids = fresh.map((record) => record.serviceRequestId);
    const known = new Set(
      ids.length === 0
        ? []
        : (
            await deps.database.rows<{ id: string }>(
              sql`select id from cases where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`,
            )
          ).map((row) => row.id),
    );
    const unseen = ids.filter((id) => !known.has(id));
    if (unseen.length > 0) {
      missing += unseen.length;
      await recordFindings(
        deps.database,
        unseen.map((id) => ({
          kind: "missing_in_silta" as const,
          subject: `case:${id}`,
          linkId: null,
          caseId: id,
          target: null,
          detail: { side: "case-system", found: "anti-entropy re-read" },
          suggestedAction: "The case is at the source but Silta had never seen it: taken in by the re-read.",
          repair: null,
        })),
        0,
      );
    }
    addIntake(intake, await ingestCases(deps, records));
    if (unseen.length > 0) repaired += await closeRepaired(deps, unseen);
    options.onProgress?.({ sourceCases: seen.size, missing });
    if (options.callGapMs > 0) await sleep(options.callGapMs);
  };
  await take(await deps.caseSystem.listChangedCases(from, now, take, problems.report));
  const openFrom = new Date(now.getTime() - (options.openDays ?? 0) * 86_400_000);
  if (openFrom < from) await take(await deps.caseSystem.listChangedCases(openFrom, from, take, problems.report, "open"));
  intake.quarantined += await recordListProblems(deps, problems);

  const [accounted] = await deps.database.rows<{ n: number }>(sql`
    select count(*)::int as n from (select jsonb_array_elements_text(${JSON.stringify([...seen])}::jsonb) as id) s
    where exists (select 1 from cases c where c.id = s.id)
      or exists (select 1 from source_quarantine q where q.key = s.id and q.state = 'open')`);
  const coverage: SourceCoverage = {
    at: now.toISOString(),
    from: from.toISOString(),
    // Rows without a readable id are counted too: they are at the source, and held in quarantine.
    sourceCases: seen.size + problems.rejected.filter((row) => row.serviceRequestId === null).length,
    accountedFor: Number(accounted?.n ?? 0) + problems.rejected.filter((row) => row.serviceRequestId === null).length,
    missing,
    repaired,
    truncatedWindows: problems.truncated.length,
    seesUnpublished: (deps.source?.intake ?? "keyed_list") !== "public_list",
  };
  await deps.database.db
    .insert(pollCursors)
    .values({ name: OPEN311_ANTI_ENTROPY, position: JSON.stringify(coverage) })
    .onConflictDoUpdate({ target: pollCursors.name, set: { position: sql`excluded.position`, updatedAt: new Date() } });
  deps.log.info({ ...coverage, ...intake }, "open311 anti-entropy re-read");
  return { ...coverage, intake };
}

/** Closes the `missing_in_silta` findings of cases now in Silta, recording the repair; returns how many. */
async function closeRepaired(deps: SiltaDeps, ids: readonly string[]): Promise<number> {
  const rows = await deps.database.rows<{ id: number }>(sql`
    update reconciliation_findings set state = 'resolved', resolved_at = now(), repair_attempts = repair_attempts + 1,
      last_repair_at = now()
    where kind = 'missing_in_silta' and state <> 'resolved'
      and case_id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
      and exists (select 1 from cases c where c.id = reconciliation_findings.case_id)
    returning id`);
  return rows.length;
}
