import { sql } from "drizzle-orm";
import { slaTerms } from "../admin/sla.ts";
import type { SiltaDeps } from "../deps.ts";
import { WRITE_BACK_KEY_PREFIX } from "../jobs/keys.ts";
import { caseSideSubject, type Finding } from "./finding.ts";

/**
 * SLA clocks, from Silta's own tables (no calls): a link not delivered or not acknowledged within
 * the target's `acknowledgeMinutes`, or whose status has not moved within `progressHours`, is
 * stale; one not finished `warnDays` after the citizen's report raises a late-answer warning,
 * and one not finished within `completeDays` breaches the SLA (per service where it has terms).
 */
export async function checkClocks(deps: SiltaDeps): Promise<Finding[]> {
  // One row per target ('*') and per service with terms of its own; a link takes its service's row if there is one.
  const slas = [...deps.mappings.targets.values()].flatMap((t) =>
    [null, ...Object.keys(t.sla.services ?? {})].map((code) => {
      const terms = slaTerms(t, code);
      const progressHours = t.sla.progressHours ?? (terms.completeDays * 24) / 2;
      return sql`(${t.id}, ${code ?? "*"}, ${t.sla.acknowledgeMinutes}::float8, ${progressHours}::float8, ${terms.completeDays}::float8, ${terms.warnDays}::float8)`;
    }),
  );
  if (slas.length === 0) return [];
  const rows = await deps.database.rows<{
    id: number | string;
    case_id: string;
    target: string;
    external_ref: string;
    state: string;
    field_status: string;
    ack_minutes: number;
    progress_hours: number;
    complete_days: number;
    not_delivered: boolean;
    not_acknowledged: boolean;
    no_progress: boolean;
    breached: boolean;
    warned: boolean;
    warn_days: number;
    create_error: string | null;
    age_hours: number;
  }>(sql`
    with sla(target, service_code, ack_minutes, progress_hours, complete_days, warn_days) as (values ${sql.join(slas, sql`, `)}),
    scoped as (
      select l.id, l.case_id, l.target, l.external_ref, l.state, l.field_status,
        -- Delivery time counts from the create job's first attempt: a re-sent create starts a fresh clock.
        coalesce((select min(coalesce(o.first_attempt_at, o.run_at)) from outbox_jobs o
                  where o.link_id = l.id and o.kind = 'create_work_order' and o.state in ('pending', 'running')), l.created_at) as delivery_since,
        coalesce(l.field_status_at, l.updated_at) as status_at,
        coalesce(case when c.snapshot->>'requestedAt' ~ '^\\d{4}-\\d{2}-\\d{2}T' then (c.snapshot->>'requestedAt')::timestamptz end, l.created_at) as reported_at,
        s.ack_minutes, s.progress_hours, s.complete_days, s.warn_days
      from links l
      left join cases c on c.id = l.case_id
      join lateral (select * from sla where sla.target = l.target and sla.service_code in (coalesce(c.service_code, ''), '*')
        order by sla.service_code = '*' limit 1) s on true
      where l.state in ('pending', 'forwarded') and l.desired = 'open'
        and l.field_status not in ('completed', 'scheduled_later', 'no_action', 'interrupted', 'wrong_contractor', 'cancelled')
    ),
    judged as (
      select *,
        state = 'pending' and delivery_since < now() - ack_minutes * interval '1 minute' as not_delivered,
        state = 'forwarded' and field_status = 'sent' and status_at < now() - ack_minutes * interval '1 minute' as not_acknowledged,
        state = 'forwarded' and field_status in ('received', 'in_progress') and status_at < now() - progress_hours * interval '1 hour' as no_progress,
        reported_at < now() - complete_days * interval '1 day' as breached,
        reported_at < now() - warn_days * interval '1 day' as warned
      from scoped
    )
    select j.id, j.case_id, j.target, j.external_ref, j.state, j.field_status, j.ack_minutes, j.progress_hours, j.complete_days,
      j.warn_days, j.not_delivered, j.not_acknowledged, j.no_progress, j.breached, j.warned,
      extract(epoch from now() - j.reported_at)::float8 / 3600 as age_hours,
      (select o.last_error_code from outbox_jobs o where o.link_id = j.id and o.kind = 'create_work_order' order by o.id desc limit 1) as create_error
    from judged j
    where j.not_delivered or j.not_acknowledged or j.no_progress or j.warned
  `);
  const findings: Finding[] = [];
  for (const r of rows) {
    const base = { linkId: Number(r.id), caseId: r.case_id, target: r.target, subject: r.external_ref, repair: null };
    if (r.not_delivered || r.not_acknowledged || r.no_progress) {
      const why = r.not_delivered ? "not_delivered" : r.not_acknowledged ? "not_acknowledged" : "no_progress";
      const suggestedAction = r.not_delivered
        ? `Not delivered to ${r.target} within ${r.ack_minutes} min (last error ${r.create_error ?? "none"}): check the target's health and the delivery job; re-drive it once the cause is fixed.`
        : r.not_acknowledged
          ? `${r.target} has not acknowledged within ${r.ack_minutes} min: contact the contractor; if they did acknowledge, the next reconciliation re-pulls the status.`
          : `No progress from ${r.target} within ${r.progress_hours} h (still ${r.field_status}): ask the contractor for a status.`;
      findings.push({
        ...base,
        kind: "stale",
        detail: { externalRef: r.external_ref, why, linkStatus: r.field_status, state: r.state, lastErrorCode: r.create_error },
        suggestedAction,
      });
    }
    if (r.warned && !r.breached) {
      findings.push({
        ...base,
        kind: "sla_warning",
        detail: {
          externalRef: r.external_ref,
          linkStatus: r.field_status,
          completeDays: Number(r.complete_days),
          warnDays: Number(r.warn_days),
          ageHours: Math.round(Number(r.age_hours)),
        },
        suggestedAction: `Still ${r.field_status} ${Math.round(Number(r.age_hours) / 24)} days after the report; the answer is due within ${r.complete_days} days: ask ${r.target} for a date and tell the case handler.`,
      });
    }
    if (r.breached) {
      findings.push({
        ...base,
        kind: "sla_breach",
        detail: {
          externalRef: r.external_ref,
          linkStatus: r.field_status,
          completeDays: Number(r.complete_days),
          ageHours: Math.round(Number(r.age_hours)),
        },
        suggestedAction: `Not finished within ${r.complete_days} days of the report (the city's promise / ${r.target}'s contract): escalate to ${r.target} and tell the case handler.`,
      });
    }
  }
  return findings;
}

/**
 * Field statuses Silta has not written back and is not about to: no write-back job pending or
 * running, and the status older than `graceMs`. A job the case system refused for good is for an
 * admin; any other gap is safe to re-post.
 */
export async function checkUnsentWriteBacks(deps: SiltaDeps, graceMs: number): Promise<Finding[]> {
  const statuses = Object.keys(deps.mappings.writeback.statuses);
  if (statuses.length === 0) return [];
  const rows = await deps.database.rows<{
    id: number | string;
    case_id: string;
    target: string;
    external_ref: string;
    field_status: string;
    written_back_status: string | null;
    job_state: string | null;
    job_error: string | null;
  }>(sql`
    select l.id, l.case_id, l.target, l.external_ref, l.field_status, l.written_back_status, j.state as job_state, j.last_error_code as job_error
    from links l
    left join outbox_jobs j on j.dedupe_key = ${WRITE_BACK_KEY_PREFIX}::text || l.id::text
    where l.state = 'forwarded' and l.desired = 'open'
      and l.field_status in (${sql.join(
        statuses.map((s) => sql`${s}`),
        sql`, `,
      )})
      and l.written_back_status is distinct from l.field_status
      and coalesce(l.field_status_at, l.updated_at) < now() - (${graceMs} * interval '1 millisecond')
      and l.updated_at < now() - (${graceMs} * interval '1 millisecond')
      and (j.id is null or j.state not in ('pending', 'running'))
  `);
  const refused = new Set(["case_system_rejected", "case_system_auth_failed"]);
  return rows.map((r) => {
    const forAdmin = r.job_state === "dead" && r.job_error !== null && refused.has(r.job_error);
    return {
      kind: "write_back_missing" as const,
      subject: caseSideSubject(r.external_ref),
      linkId: Number(r.id),
      caseId: r.case_id,
      target: r.target,
      detail: {
        externalRef: r.external_ref,
        side: "silta",
        linkStatus: r.field_status,
        writtenBackStatus: r.written_back_status,
        jobState: r.job_state,
        lastErrorCode: r.job_error,
      },
      suggestedAction: forAdmin
        ? `The case system refused the write-back (${r.job_error}): fix the cause (credentials, case state), then re-drive the write-back job.`
        : `Field status ${r.field_status} was never written back: re-post the write-back.`,
      repair: forAdmin ? null : { action: "repost_write_back" as const, linkId: Number(r.id), clearWrittenBack: null },
    };
  });
}
