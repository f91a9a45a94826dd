import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { toSiltaError } from "../../kernel/errors.ts";
import type { CaseRecord } from "../../ports/case-system.ts";
import type { SiltaDeps } from "../deps.ts";
import { caseSideSubject, type Finding, keepFinding, type ObservedFindings } from "./finding.ts";
import { linkTargets, mapBounded, type OpenLink, openLinkPages } from "./open-links.ts";

export interface CaseSystemCheck extends ObservedFindings {
  /** Set when the case system could not be read: its earlier findings stay as they are. */
  failed: string | null;
  lookedUp: number;
}

const LOOKUP_CONCURRENCY = 8;

/** Progress of Helsinki's public-works part: a lower rank than Silta wrote back means the update was lost. */
const WORKS_RANK: Record<string, number> = {
  PUBLIC_WORKS_NEW: 1,
  PUBLIC_WORKS_IN_PROGRESS: 2,
  PUBLIC_WORKS_COMPLETED: 3,
  PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER: 3,
  PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION: 3,
  PUBLIC_WORKS_INTERRUPTED: 3,
};

type WorksStatus = Pick<CaseRecord, "worksStatus">;

/** Ids per list read: the adapter's own list size, so that one call answers one chunk. */
const CASES_PER_READ = 100;

/**
 * The works status of each case (null: the source does not know it). Read in lists where the
 * source can (`getCases`), one case at a time for what a list did not answer. A run over 55,000
 * cases had made 55,000 calls, 8 at a time, for minutes. Only the works status is kept.
 */
async function readWorksStatuses(deps: SiltaDeps, caseIds: readonly string[]): Promise<Map<string, WorksStatus | null>> {
  const statuses = new Map<string, WorksStatus | null>();
  const getCases = deps.caseSystem.getCases?.bind(deps.caseSystem);
  if (getCases) {
    for (let i = 0; i < caseIds.length; i += CASES_PER_READ) {
      for (const record of await getCases(caseIds.slice(i, i + CASES_PER_READ))) {
        statuses.set(record.serviceRequestId, { worksStatus: record.worksStatus });
      }
    }
  }
  const rest = caseIds.filter((id) => !statuses.has(id));
  const looked = await mapBounded(rest, LOOKUP_CONCURRENCY, async (id) => {
    const record = await deps.caseSystem.getCase(id);
    return record === null ? null : { worksStatus: record.worksStatus };
  });
  for (const [index, id] of rest.entries()) statuses.set(id, looked[index] ?? null);
  return statuses;
}

/**
 * Compares what Silta wrote back with what the case system shows: the public-works part of the
 * case's `detailed_status` must match the last status Silta confirmed writing. Behind it (or
 * absent) means the update was lost, and re-posting is safe (the case system treats the same
 * update id as the same update); anything else was changed on the city's side and is for an admin.
 * Works a page of links at a time, so a run holds one page; a case with links at two targets is read twice.
 */
export async function checkCaseSystem(deps: SiltaDeps, recentMs: number, pageSize: number): Promise<CaseSystemCheck> {
  const statuses = deps.mappings.writeback.statuses;
  const expectedFor = (link: OpenLink): string | null =>
    link.writtenBackStatus ? (statuses[link.writtenBackStatus]?.works ?? null) : null;
  const check: CaseSystemCheck = { findings: [], observed: new Map(), failed: null, lookedUp: 0 };
  try {
    for await (const page of writtenBackPages(deps.database, recentMs, pageSize)) {
      const links = page.filter((link) => expectedFor(link) !== null);
      const caseIds = [...new Set(links.map((link) => link.caseId))];
      const byId = await readWorksStatuses(deps, caseIds);
      check.lookedUp += caseIds.length;
      for (const link of links) keepFinding(check, link, compareCase(link, expectedFor(link), byId.get(link.caseId) ?? null));
    }
  } catch (error) {
    const failure = toSiltaError(error);
    deps.log.warn({ code: failure.code }, "reconciliation could not read the case system");
    return { findings: [], observed: new Map(), failed: failure.code, lookedUp: 0 };
  }
  return check;
}

/** The open links with a written-back status, a page at a time, target by target. */
async function* writtenBackPages(database: Database, recentMs: number, pageSize: number): AsyncGenerator<OpenLink[]> {
  const where = sql`l.written_back_status is not null`;
  for (const target of await linkTargets(database)) {
    for (const state of ["pending", "forwarded"] as const) {
      yield* openLinkPages(database, recentMs, { target, state, where }, pageSize);
    }
  }
}

function compareCase(link: OpenLink, expected: string | null, record: WorksStatus | null): Finding | null {
  const written = link.writtenBackStatus;
  if (!written || !expected) return null;
  const actual = record?.worksStatus ?? null;
  if (actual === expected) return null;
  const base = { linkId: link.id, caseId: link.caseId, target: link.target, subject: caseSideSubject(link.externalRef) };
  const detail = {
    externalRef: link.externalRef,
    side: "case-system",
    caseWorksStatus: actual,
    writtenBackStatus: written,
    expectedWorksStatus: expected,
    caseFound: record !== null,
  };
  if (record && (actual === null || (WORKS_RANK[actual] ?? 0) < (WORKS_RANK[expected] ?? 0))) {
    return {
      ...base,
      kind: "write_back_missing",
      detail,
      suggestedAction: `The case shows ${actual ?? "no public-works status"} although Silta wrote back ${expected}: re-post the write-back.`,
      repair: { action: "repost_write_back", linkId: link.id, clearWrittenBack: written },
    };
  }
  return {
    ...base,
    kind: "status_differs",
    detail,
    suggestedAction: record
      ? `The case shows ${actual} while the field status Silta wrote back is ${expected}: someone changed the case at the city's side; check with the case handler which is right.`
      : `The case system no longer has case ${link.caseId}: check whether it was removed or merged, then cancel the work order if it is no longer wanted.`,
    repair: null,
  };
}
