import type { CaseRecord } from "../../ports/case-system.ts";
import type { SiltaDeps } from "../deps.ts";
import { toSiltaError } from "../errors.ts";
import { caseSideSubject, type Finding } from "./finding.ts";
import { mapBounded, type OpenLink } from "./open-links.ts";

export interface CaseSystemCheck {
  findings: Finding[];
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

/**
 * Compares what Silta wrote back with what the case system shows: the public-works part of the
 * case's `detailed_status` must match the last status Silta confirmed writing. Behind it (or
 * absent) means the update was lost, and re-posting is safe (the case system treats the same
 * update id as the same update); anything else was changed on the city's side and is for an admin.
 */
export async function checkCaseSystem(deps: SiltaDeps, openLinks: readonly OpenLink[]): Promise<CaseSystemCheck> {
  const statuses = deps.mappings.writeback.statuses;
  const expectedFor = (link: OpenLink): string | null =>
    link.writtenBackStatus ? (statuses[link.writtenBackStatus]?.works ?? null) : null;
  const links = openLinks.filter((link) => expectedFor(link) !== null);
  const caseIds = [...new Set(links.map((link) => link.caseId))];
  // Only the works status is kept of each case read: a run holds them all until it compares, and
  // with full records (descriptions, attributes) a run over 55,000 cases took Silta's heap total
  // from 118 to 160 MB and its RSS over 300 MB in the 100,000-case bench.
  let records: (Pick<CaseRecord, "worksStatus"> | null)[];
  try {
    records = await mapBounded(caseIds, LOOKUP_CONCURRENCY, async (id) => {
      const record = await deps.caseSystem.getCase(id);
      return record === null ? null : { worksStatus: record.worksStatus };
    });
  } catch (error) {
    const failure = toSiltaError(error);
    deps.log.warn({ code: failure.code }, "reconciliation could not read the case system");
    return { findings: [], failed: failure.code, lookedUp: 0 };
  }
  const byId = new Map(caseIds.map((id, index) => [id, records[index] ?? null]));
  const findings: Finding[] = [];
  for (const link of links) {
    const written = link.writtenBackStatus;
    const expected = expectedFor(link);
    if (!written || !expected) continue;
    const record = byId.get(link.caseId) ?? null;
    const actual = record?.worksStatus ?? null;
    if (actual === expected) continue;
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
      findings.push({
        ...base,
        kind: "write_back_missing",
        detail,
        suggestedAction: `The case shows ${actual ?? "no public-works status"} although Silta wrote back ${expected}: re-post the write-back.`,
        repair: { action: "repost_write_back", linkId: link.id, clearWrittenBack: written },
      });
      continue;
    }
    findings.push({
      ...base,
      kind: "status_differs",
      detail,
      suggestedAction: record
        ? `The case shows ${actual} while the field status Silta wrote back is ${expected}: someone changed the case at the city's side; check with the case handler which is right.`
        : `The case system no longer has case ${link.caseId}: check whether it was removed or merged, then cancel the work order if it is no longer wanted.`,
      repair: null,
    });
  }
  return { findings, failed: null, lookedUp: caseIds.length };
}
