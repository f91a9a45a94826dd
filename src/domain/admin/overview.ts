import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import type { Mappings } from "../../mappings/mappings.ts";
import { FINISHED_STATUSES } from "./sla.ts";

export interface FunnelRow {
  target: string;
  sent: number;
  received: number;
  inProgress: number;
  completed: number;
  /** Finished work done by its due time, over all finished work; null when nothing finished yet. */
  slaHitRate: number | null;
  overdue: number;
}

export interface Overview {
  generatedAt: string;
  jobs: { target: string; kind: string; state: string; n: number }[];
  links: { target: string; state: string; n: number }[];
  /** Age of the oldest due job per target, in seconds (0 when nothing waits). */
  backlog: { target: string; pending: number; oldestAgeSeconds: number }[];
  deadLetters: { target: string; n: number; acknowledged: number }[];
  openFindings: { kind: string; n: number }[];
  quarantinedCodes: { target: string; code: string; n: number }[];
  funnel: FunnelRow[];
}

const num = (v: unknown) => Number(v ?? 0);

/**
 * The console's front page in one read: counts by state and target, backlog age, dead letters,
 * open reconciliation findings, quarantined codes and the per-contractor funnel with SLA hit rate.
 */
export async function readOverview(database: Database, mappings: Mappings, now: Date): Promise<Overview> {
  const jobs = await database.rows<{ target: string; kind: string; state: string; n: number }>(
    sql`select target, kind, state, count(*)::int as n from outbox_jobs group by target, kind, state order by target, kind, state`,
  );
  const linkRows = await database.rows<{ target: string; state: string; n: number }>(
    sql`select target, state, count(*)::int as n from links group by target, state order by target, state`,
  );
  const backlog = await database.rows<{ target: string; pending: number; oldest: string | null }>(sql`
    select target, count(*)::int as pending, min(created_at) as oldest from outbox_jobs
    where state in ('pending', 'running') group by target order by target`);
  const dead = await database.rows<{ target: string; n: number; acknowledged: number }>(sql`
    select target, count(*)::int as n,
      count(*) filter (where acknowledged_by is not null and (acknowledged_until is null or acknowledged_until > ${now.toISOString()}::timestamptz))::int as acknowledged
    from outbox_jobs where state = 'dead' group by target order by target`);
  const findings = await database.rows<{ kind: string; n: number }>(
    sql`select kind, count(*)::int as n from reconciliation_findings where state = 'open' group by kind order by kind`,
  );
  const quarantined = await database.rows<{ target: string; code: string; n: number }>(sql`
    select source as target, status_code as code, count(*)::int as n from inbox_events
    where state = 'quarantined' group by source, status_code order by n desc`);

  const days = [...mappings.targets.values()].map((t) => sql`(${t.id}, ${t.sla.completeDays}::int)`);
  const finished = sql.join(
    FINISHED_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );
  const funnel =
    days.length === 0
      ? []
      : await database.rows<Record<string, unknown>>(sql`
    with sla(target, complete_days) as (values ${sql.join(days, sql`, `)}),
    l as (
      select l.target, l.state, l.field_status, l.field_status_at,
        coalesce(case when c.snapshot->>'requestedAt' ~ '^\\d{4}-\\d{2}-\\d{2}T' then (c.snapshot->>'requestedAt')::timestamptz end, l.created_at)
          + make_interval(days => s.complete_days) as due_at
      from links l join cases c on c.id = l.case_id join sla s on s.target = l.target
      where l.state <> 'rerouted'
    )
    select target,
      count(*) filter (where state in ('forwarded', 'cancelled') and field_status <> 'pending')::int as sent,
      count(*) filter (where field_status in ('received', 'in_progress', ${finished}))::int as received,
      count(*) filter (where field_status in ('in_progress', ${finished}))::int as in_progress,
      count(*) filter (where field_status in (${finished}))::int as completed,
      count(*) filter (where field_status in (${finished}) and field_status_at <= due_at)::int as on_time,
      count(*) filter (where field_status not in (${finished}, 'cancelled', 'wrong_contractor') and state <> 'cancelled' and due_at < ${now.toISOString()}::timestamptz)::int as overdue
    from l group by target order by target`);

  return {
    generatedAt: now.toISOString(),
    jobs: jobs.map((r) => ({ ...r, n: num(r.n) })),
    links: linkRows.map((r) => ({ ...r, n: num(r.n) })),
    backlog: backlog.map((r) => ({
      target: r.target,
      pending: num(r.pending),
      oldestAgeSeconds: r.oldest ? Math.max(0, Math.round((now.getTime() - new Date(r.oldest).getTime()) / 1000)) : 0,
    })),
    deadLetters: dead.map((r) => ({ target: r.target, n: num(r.n), acknowledged: num(r.acknowledged) })),
    openFindings: findings.map((r) => ({ kind: r.kind, n: num(r.n) })),
    quarantinedCodes: quarantined.map((r) => ({ ...r, n: num(r.n) })),
    funnel: funnel.map((r) => {
      const completed = num(r.completed);
      return {
        target: String(r.target),
        sent: num(r.sent),
        received: num(r.received),
        inProgress: num(r.in_progress),
        completed,
        slaHitRate: completed > 0 ? num(r.on_time) / completed : null,
        overdue: num(r.overdue),
      };
    }),
  };
}
