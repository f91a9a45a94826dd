import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";

export interface SandboxProgress {
  cases: number;
  routed: number;
  excluded: number;
  delivered: number;
  inProgress: number;
  finished: number;
  writtenBack: number;
  parked: number;
  cancelled: number;
  pendingJobs: number;
  pendingEvents: number;
  /** Jobs whose last attempt failed and that wait for (or are in) their next attempt. */
  retrying: number;
  /** Jobs that stopped retrying: dead (parked after a permanent failure or the retry horizon). */
  failed: number;
  /** Routed cases not yet at rest: some link still moving or its final status not yet written back. */
  unsettled: number;
  /** Records from the case system held in quarantine (accounted for, with a reason). */
  quarantined: number;
}

/**
 * Whether every link of a case (grouped by `case_id`, table alias `l`) is at rest. With write-back
 * off (a server without servicerequestupdates), a finished link is at rest as it is.
 */
function caseAtRestSql(options: { writeBack?: boolean }): SQL {
  const writtenBack = options.writeBack === false ? sql`true` : sql`l.written_back_status = l.field_status`;
  return sql`bool_and(
    l.state in ('parked', 'cancelled', 'rerouted')
    or (l.state = 'forwarded' and l.field_status in ('completed', 'scheduled_later', 'no_action', 'interrupted', 'cancelled')
        and ${writtenBack}))`;
}

/**
 * Where the sandbox stands, from Silta's own tables. A case is settled when every link of it is
 * at rest: parked, cancelled, re-routed, or at a terminal field status already written back (or
 * one that is not written back at all, or any when write-back is off), with no job or event pending.
 */
export async function readProgress(database: Database, options: { writeBack?: boolean } = {}): Promise<SandboxProgress> {
  const [row] = await database.rows<Record<keyof SandboxProgress, number>>(sql`
    with link_rest as (
      select l.case_id, ${caseAtRestSql(options)} as at_rest
      from links l group by l.case_id
    )
    select
      (select count(*)::int from cases) as cases,
      (select count(*)::int from cases where disposition = 'routed') as routed,
      (select count(*)::int from cases where disposition = 'excluded') as excluded,
      (select count(*)::int from links where state = 'forwarded') as delivered,
      (select count(*)::int from links where state = 'forwarded' and field_status in ('received', 'in_progress')) as "inProgress",
      (select count(*)::int from links where field_status in ('completed', 'scheduled_later', 'no_action', 'interrupted')) as finished,
      (select count(*)::int from links where written_back_status in ('completed', 'scheduled_later', 'no_action', 'interrupted')) as "writtenBack",
      (select count(*)::int from links where state = 'parked') as parked,
      (select count(*)::int from links where state = 'cancelled') as cancelled,
      (select count(*)::int from outbox_jobs where state in ('pending', 'running')) as "pendingJobs",
      (select count(*)::int from inbox_events where state = 'pending') as "pendingEvents",
      (select count(*)::int from outbox_jobs where state in ('pending', 'running') and last_error_code is not null) as retrying,
      (select count(*)::int from outbox_jobs where state = 'dead') as failed,
      (select count(*)::int from link_rest where not at_rest) as unsettled,
      (select count(*)::int from source_quarantine where state = 'open') as quarantined
  `);
  if (!row) throw new Error("progress query returned no row");
  return row;
}

/** One line for people: counts of cases and work orders, then the jobs retrying (last attempt failed) and failed (dead). */
export function formatProgress(p: SandboxProgress, seconds: number): string {
  return [
    `${seconds.toFixed(0).padStart(4)}s`,
    `cases ${p.cases}`,
    `routed ${p.routed}`,
    `excluded ${p.excluded}`,
    `work orders ${p.delivered}`,
    `in progress ${p.inProgress}`,
    `finished ${p.finished}`,
    `written back ${p.writtenBack}`,
    `parked ${p.parked}`,
    `cancelled ${p.cancelled}`,
    `retrying ${p.retrying}`,
    `failed ${p.failed}`,
  ].join(" · ");
}

/**
 * The links of cases not at rest, each with its inbox events and jobs: what a failed settle
 * shows, so that a stuck link says where it stopped (no personal data: ids, states and codes).
 */
export async function describeUnsettled(
  database: Database,
  options: { writeBack?: boolean; limit?: number } = {},
): Promise<unknown[]> {
  return database.rows(sql`
    select l.id, l.case_id, l.target, l.round, l.state, l.desired, l.field_status, l.written_back_status,
      l.work_order_id is not null as has_work_order,
      (select coalesce(jsonb_agg(jsonb_build_object('status', e.status_code, 'state', e.state, 'reason', e.reason) order by e.id), '[]')
         from inbox_events e where e.external_ref = l.external_ref and e.source = l.target) as events,
      (select coalesce(jsonb_agg(jsonb_build_object('kind', j.kind, 'state', j.state, 'attempts', j.attempts, 'error', j.last_error_code) order by j.id), '[]')
         from outbox_jobs j where j.link_id = l.id) as jobs
    from links l
    where l.case_id in (
      select l.case_id from links l group by l.case_id
      having not ${caseAtRestSql(options)}
      limit ${options.limit ?? 5})
    order by l.case_id, l.id`);
}
