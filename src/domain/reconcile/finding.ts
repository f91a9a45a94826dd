import type { FindingKind } from "../../db/schema/index.ts";
import type { OpenLink } from "./open-links.ts";

export type { FindingKind };

/** What a reconciliation run saw: one drift, before it is stored. Ids, codes and statuses only. */
export interface Finding {
  kind: FindingKind;
  /** The external ref, `<ref>@case-system` for the case side, or `<target>:<work order id>` for an unknown order. */
  subject: string;
  linkId: number | null;
  caseId: string | null;
  target: string | null;
  detail: Record<string, string | number | boolean | null>;
  suggestedAction: string;
  /** Silta may repair it without an admin; `repair` says how. */
  repair: RepairPlan | null;
}

/** The safe repairs: each only queues work (outbox job or inbox event), in one transaction with its ledger entry. */
export type RepairPlan =
  /** The target lost an unfinished work order: send the create again (looked up by reference first). */
  | { action: "resend_create"; linkId: number; observedWorkOrderId: string | null }
  /** The target is ahead of Silta (a lost webhook): feed its status through the inbox. */
  | { action: "repull_status"; linkId: number; statusCode: string; workOrderId: string }
  /** The case system lacks the written-back status: post it again. */
  | { action: "repost_write_back"; linkId: number; clearWrittenBack: string | null };

/** The subject of a case-side finding, distinct from the target-side one about the same link. */
export function caseSideSubject(externalRef: string): string {
  return `${externalRef}@case-system`;
}

/** The subject of a work order at a target that no link explains. */
export function unknownOrderSubject(target: string, workOrderId: string): string {
  return `${target}:${workOrderId}`;
}

/** Where a check collects its findings, with the links behind them as it compared them. */
export interface ObservedFindings {
  findings: Finding[];
  /** A finding about a link that moved after it was compared is dropped for the next run. */
  observed: Map<number, OpenLink>;
}

/** Keeps a finding (if any) and the link as compared. */
export function keepFinding(into: ObservedFindings, link: OpenLink, finding: Finding | null): void {
  if (!finding) return;
  into.findings.push(finding);
  into.observed.set(link.id, link);
}
