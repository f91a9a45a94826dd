import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import type { FindingKind } from "../../db/schema/index.ts";
import { appendLedger } from "../ledger.ts";
import type { Finding } from "./finding.ts";

export interface StoredFinding {
  id: number;
  kind: FindingKind;
  subject: string;
  linkId: number | null;
  caseId: string | null;
  target: string | null;
  state: "open" | "acknowledged";
  autoRepairable: boolean;
  repairAttempts: number;
  /** True when this run opened it. */
  opened: boolean;
}

/** Late-answer alarms: their ledger rows are SLA rows (`sla_breach` operation, outcome breach or warning). */
export const LATE_ANSWER: ReadonlySet<FindingKind> = new Set(["sla_breach", "sla_warning"]);

/** Findings written per statement: keeps every statement's parameters well under PostgreSQL's limit. */
const CHUNK = 500;

/**
 * Stores what a run saw: a new drift opens a finding (first and last seen now), a known one only
 * moves its last-seen time and refreshes its detail, so re-running changes nothing else. Each
 * newly opened finding about a case gets a ledger entry in the same transaction, so the case's
 * history says when Silta noticed; an SLA breach is recorded as its own operation.
 * `repairable` says which findings may be repaired automatically (after too many failed
 * attempts a finding is handed to an admin).
 */
export async function recordFindings(
  database: Database,
  findings: readonly Finding[],
  maxRepairAttempts: number,
): Promise<StoredFinding[]> {
  const stored: StoredFinding[] = [];
  for (let i = 0; i < findings.length; i += CHUNK) {
    const chunk = findings.slice(i, i + CHUNK);
    const values = chunk.map(
      (f) =>
        sql`(${f.kind}, ${f.subject}, ${f.linkId}::bigint, ${f.caseId}, ${f.target}, ${JSON.stringify(f.detail)}::jsonb, ${f.suggestedAction}, ${f.repair ? "yes" : "no"})`,
    );
    await database.db.transaction(async (tx) => {
      const rows = await database.rows<{
        id: number | string;
        kind: FindingKind;
        subject: string;
        link_id: number | string | null;
        case_id: string | null;
        target: string | null;
        state: "open" | "acknowledged";
        auto_repairable: "yes" | "no";
        repair_attempts: number;
        opened: boolean;
      }>(
        sql`
          insert into reconciliation_findings as f (kind, subject, link_id, case_id, target, detail, suggested_action, auto_repairable)
          values ${sql.join(values, sql`, `)}
          on conflict (kind, subject) where state <> 'resolved' do update set
            last_seen_at = now(),
            link_id = excluded.link_id,
            case_id = excluded.case_id,
            target = excluded.target,
            detail = excluded.detail,
            suggested_action = case when f.repair_attempts >= ${maxRepairAttempts} and excluded.auto_repairable = 'yes'
              then 'Automatic repair did not help after ' || f.repair_attempts || ' attempts: ' || excluded.suggested_action
              else excluded.suggested_action end,
            auto_repairable = case when f.repair_attempts >= ${maxRepairAttempts} then 'no' else excluded.auto_repairable end
          returning f.id, f.kind, f.subject, f.link_id, f.case_id, f.target, f.state, f.auto_repairable, f.repair_attempts,
            (f.xmax = 0) as opened
        `,
        tx,
      );
      const entries = [];
      for (const r of rows) {
        const finding: StoredFinding = {
          id: Number(r.id),
          kind: r.kind,
          subject: r.subject,
          linkId: r.link_id === null ? null : Number(r.link_id),
          caseId: r.case_id,
          target: r.target,
          state: r.state,
          autoRepairable: r.auto_repairable === "yes",
          repairAttempts: Number(r.repair_attempts),
          opened: Boolean(r.opened),
        };
        stored.push(finding);
        if (finding.opened && finding.caseId) {
          entries.push({
            caseId: finding.caseId,
            linkId: finding.linkId,
            target: finding.target,
            direction: "internal" as const,
            operation: LATE_ANSWER.has(finding.kind) ? ("sla_breach" as const) : ("reconcile" as const),
            outcome:
              finding.kind === "sla_breach"
                ? ("breach" as const)
                : finding.kind === "sla_warning"
                  ? ("warning" as const)
                  : ("finding" as const),
            detail: `${finding.kind} #${finding.id}`,
          });
        }
      }
      await appendLedger(tx, entries);
    });
  }
  return stored;
}

/**
 * Closes every open finding this run did not see again: the drift is gone. Findings about a
 * system that could not be read this run are left alone (not seeing them proves nothing).
 */
export async function resolveUnseen(
  database: Database,
  /** The database's `now()` when the run began, as text (microseconds kept). */
  runStartedAt: string,
  unreadable: { targets: readonly string[]; caseSystem: boolean },
): Promise<number> {
  const targetKinds = sql`('missing_in_target', 'missing_in_source')`;
  const skipTargets =
    unreadable.targets.length > 0
      ? sql`and not (coalesce(target, '') in (${sql.join(
          unreadable.targets.map((t) => sql`${t}`),
          sql`, `,
        )}) and (kind in ${targetKinds} or (kind = 'status_differs' and detail->>'side' = 'target')))`
      : sql``;
  const skipCase = unreadable.caseSystem ? sql`and coalesce(detail->>'side', '') <> 'case-system'` : sql``;
  const rows = await database.rows<{ id: number }>(sql`
    update reconciliation_findings set state = 'resolved', resolved_at = now()
    where state <> 'resolved' and last_seen_at < ${runStartedAt}::timestamptz
      -- Source-side findings belong to intake and the anti-entropy re-read, which close their own.
      and kind not in ('missing_in_silta', 'source_truncated')
      ${skipCase}
      ${skipTargets}
    returning id
  `);
  return rows.length;
}
