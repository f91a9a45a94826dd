import { type SQL, sql } from "drizzle-orm";
import type { Database, Tx } from "../db/client.ts";
import { type LedgerDirection, type LedgerOperation, type LedgerOutcome, ledgerEntries } from "../db/schema/index.ts";
import type { ErrorCode } from "../kernel/errors.ts";

/** Operations the ledger records (see the schema's list). */
export type LedgerOperationName = LedgerOperation;

export interface LedgerEntryInput {
  caseId: string;
  linkId?: number | null;
  target?: string | null;
  direction: LedgerDirection;
  operation: LedgerOperationName;
  outcome: LedgerOutcome;
  idempotencyKey?: string | null;
  payloadHash?: string | null;
  errorCode?: ErrorCode | null;
  httpStatus?: number | null;
  latencyMs?: number | null;
  attempt?: number | null;
  /** A reason or a code; never free text that could carry personal data. */
  detail?: string | null;
}

/**
 * Appends ledger entries inside the caller's transaction, so that a state change and its
 * record commit or roll back together.
 */
export async function appendLedger(tx: Tx, entries: LedgerEntryInput | LedgerEntryInput[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await tx.insert(ledgerEntries).values(
    list.map((e) => ({
      caseId: e.caseId,
      linkId: e.linkId ?? null,
      target: e.target ?? null,
      direction: e.direction,
      operation: e.operation,
      outcome: e.outcome,
      idempotencyKey: e.idempotencyKey ?? null,
      payloadHash: e.payloadHash ?? null,
      errorCode: e.errorCode ?? null,
      httpStatus: e.httpStatus ?? null,
      latencyMs: e.latencyMs ?? null,
      attempt: e.attempt ?? null,
      detail: e.detail ?? null,
    })),
  );
}

/**
 * The `insert … select` of one ledger entry for each row of `from` (a CTE of the caller's
 * statement): one-statement commits record their entry in the same round trip.
 */
export function appendLedgerFromSql(e: LedgerEntryInput, from: SQL): SQL {
  return sql`insert into ledger_entries (case_id, link_id, target, direction, operation, outcome, idempotency_key,
        payload_hash, error_code, http_status, latency_ms, attempt, detail)
      select ${e.caseId}::text, ${e.linkId ?? null}::bigint, ${e.target ?? null}::text, ${e.direction}::text,
        ${e.operation}::text, ${e.outcome}::text, ${e.idempotencyKey ?? null}::text, ${e.payloadHash ?? null}::text,
        ${e.errorCode ?? null}::text, ${e.httpStatus ?? null}::integer, ${e.latencyMs ?? null}::integer,
        ${e.attempt ?? null}::integer, ${e.detail ?? null}::text
      ${from}`;
}

/** The ledger row of a park: a job or link stopped with its code, waiting for an admin. */
export function parkEntry(facts: {
  caseId: string;
  linkId: number | null;
  target: string | null;
  code: ErrorCode;
  attempt?: number | null;
  detail: string;
}): LedgerEntryInput {
  return {
    caseId: facts.caseId,
    linkId: facts.linkId,
    target: facts.target,
    direction: "internal",
    operation: "park",
    outcome: "parked",
    errorCode: facts.code,
    attempt: facts.attempt ?? null,
    detail: facts.detail,
  };
}

export type CaseAccount = "forwarded" | "excluded" | "parked" | "in_flight" | "cancelled";

export interface BalanceViolation {
  caseId: string;
  problem: string;
}

export interface LedgerBalance {
  balanced: boolean;
  cases: number;
  accounts: Record<CaseAccount, number>;
  /** Every case that breaks the invariant (up to `maxViolations`, when given), ordered by case id. */
  violations: BalanceViolation[];
  /** How many cases break it, also when the list was cut at `maxViolations`. */
  violationCount: number;
  /** Work cycles after the first (rework: round 2 and later), each its own work order, counted in the accounts above. */
  reworkCycles: number;
  /** Cases that share another case's work order (duplicates; counted as excluded with reason `duplicate`, or by their own links). */
  duplicates: number;
}

/**
 * Checks the balance invariant: every accepted case is forwarded, excluded (with a reason),
 * parked (with a reason), cancelled, or in flight, and the ledger holds the entry that explains
 * it. A case that fits none of these, or whose ledger disagrees with its state, is a violation.
 */
export async function checkLedgerBalance(database: Database, options: { maxViolations?: number } = {}): Promise<LedgerBalance> {
  const limit = options.maxViolations === undefined ? sql`` : sql`limit ${options.maxViolations}`;
  const rows = await database.rows<{
    case_id: string | null;
    account: string | null;
    problem: string | null;
    n: number;
  }>(sql`
    with link_summary as (
      select l.case_id,
        bool_or(l.state = 'forwarded') as any_forwarded,
        bool_or(l.state = 'pending') as any_pending,
        bool_or(l.state = 'parked') as any_parked,
        bool_or(l.state = 'parked' and l.parked_reason is null) as parked_without_reason,
        bool_or(l.state = 'cancelled') as any_cancelled,
        bool_or(l.state = 'forwarded' and l.work_order_id is null) as forwarded_without_order,
        bool_or(l.state = 'pending' and not exists (
          select 1 from outbox_jobs j where j.link_id = l.id and j.kind = 'create_work_order' and j.state in ('pending', 'running')
        )) as pending_without_job,
        bool_or(l.state = 'forwarded' and not exists (
          select 1 from ledger_entries e where e.link_id = l.id and e.operation = 'create_work_order' and e.outcome = 'ok'
        )) as forwarded_without_entry,
        bool_or(l.state = 'parked' and not exists (
          select 1 from ledger_entries e where e.link_id = l.id and e.operation = 'park'
        )) as parked_without_entry,
        bool_or(l.state = 'cancelled' and not exists (
          select 1 from ledger_entries e where e.link_id = l.id
            and ((e.operation = 'cancel_work_order' and e.outcome in ('ok', 'skipped', 'queued'))
              or (e.operation = 'create_work_order' and e.outcome = 'skipped'))
        )) as cancelled_without_entry
      from links l group by l.case_id
    ),
    classified as (
      select c.id as case_id, c.disposition, c.disposition_reason,
        case
          when c.disposition = 'excluded' then 'excluded'
          when s.any_pending then 'in_flight'
          when s.any_forwarded then 'forwarded'
          when s.any_parked then 'parked'
          when s.any_cancelled then 'cancelled'
        end as account,
        case
          when c.disposition = 'excluded' and c.disposition_reason is null then 'excluded without a reason'
          when c.disposition = 'excluded' and not exists (select 1 from ledger_entries e where e.case_id = c.id and e.operation = 'exclude') then 'excluded without a ledger entry'
          when c.disposition = 'excluded' and s.case_id is not null then 'excluded but has links'
          when c.disposition = 'routed' and s.case_id is null then 'routed but has no link'
          when c.disposition = 'routed' and not exists (select 1 from ledger_entries e where e.case_id = c.id and e.operation = 'route') then 'routed without a ledger entry'
          when s.pending_without_job then 'pending link without a delivery job'
          when s.forwarded_without_order then 'forwarded link without a work order id'
          when s.forwarded_without_entry then 'forwarded link without a successful create in the ledger'
          when s.parked_without_reason then 'parked link without a reason'
          when s.parked_without_entry then 'parked link without a park entry in the ledger'
          when s.cancelled_without_entry then 'cancelled link without a cancellation in the ledger'
          when c.disposition not in ('routed', 'excluded') then 'unknown disposition'
        end as problem
      from cases c left join link_summary s on s.case_id = c.id
    )
    , violating as (select case_id, account, coalesce(problem, 'case fits no account') as problem
      from classified where problem is not null or account is null)
    select null as case_id, account, null as problem, count(*)::int as n
      from classified where problem is null and account is not null group by account
    union all
    select null, null, null, (select count(*)::int from violating)
    union all
    (select case_id, account, problem, 1 from violating order by case_id ${limit})
  `);
  const accounts: Record<CaseAccount, number> = { forwarded: 0, excluded: 0, parked: 0, in_flight: 0, cancelled: 0 };
  const violations: BalanceViolation[] = [];
  let cases = 0;
  let violationCount = 0;
  for (const row of rows) {
    if (row.case_id !== null) {
      violations.push({ caseId: row.case_id, problem: row.problem ?? "case fits no account" });
    } else if (row.account === null) {
      violationCount = Number(row.n);
      cases += violationCount;
    } else {
      accounts[row.account as CaseAccount] += Number(row.n);
      cases += Number(row.n);
    }
  }
  const [extra] = await database.rows<{ rework: number; duplicates: number }>(sql`
    select (select count(*)::int from links where round > 1) as rework,
      (select count(*)::int from cases where duplicate_of is not null) as duplicates`);
  return {
    balanced: violationCount === 0,
    cases,
    accounts,
    violations,
    violationCount,
    reworkCycles: Number(extra?.rework ?? 0),
    duplicates: Number(extra?.duplicates ?? 0),
  };
}
