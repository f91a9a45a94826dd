import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { TERMINAL_STATUSES } from "../kernel/status.ts";
import { writeAudit } from "./admin/audit.ts";
import { scrubJobTexts } from "./jobs/store.ts";
import { scrubParkedReasons } from "./links.ts";

/**
 * Retention (GDPR Art. 5(1)(e)): personal data and payload copies are kept only while Silta
 * needs them. Where they rest, and what a purge leaves:
 *
 * - `cases.snapshot`: free text, address, location, media, tasks and the reporter are emptied;
 *   ids, service code and statuses stay (the case view still shows what happened), and
 *   `snapshot_hash` stays, so an unchanged re-poll is still a no-op and does not restore them.
 * - `inbox_events.note`: the field crew's note (scrubbed, but free text).
 * - `outbox_jobs.payload` and `last_error` (dead letters: a target's error text may echo the payload).
 * - `links.parked_reason` (error text, as above).
 *
 * The ledger, the audit trail and findings hold ids, codes and hashes only and are kept.
 */

export interface RetentionOptions {
  /** Cases whose last activity (case or link update) is older than this many days. */
  days: number;
  /** Count only; change nothing and write no audit row. */
  dryRun?: boolean;
  /** Cases per transaction. */
  batchSize?: number;
}

export interface RetentionSummary {
  dryRun: boolean;
  days: number;
  cutoff: string;
  cases: number;
  inboxNotes: number;
  jobs: number;
  links: number;
}

/**
 * The cases whose personal data may go: last activity before the cutoff, not purged yet, every
 * link finished (cancelled, re-routed, or forwarded with a terminal field status; excluded cases
 * have none), and no job or field event still waiting. Never an open case: a pending or parked
 * link, a pending or running job, or a pending inbox event keeps the case.
 */
function eligibleCases(cutoff: Date, limit: number) {
  const terminal = sql.join(
    [...TERMINAL_STATUSES].map((status) => sql`${status}`),
    sql`, `,
  );
  return sql`
    select c.id from cases c
    -- Not purged yet, or changed by intake since (a fresh snapshot holds data again).
    where (c.purged_at is null or c.updated_at > c.purged_at)
      and c.updated_at < ${cutoff.toISOString()}::timestamptz
      and not exists (
        select 1 from links l where l.case_id = c.id
          and (l.updated_at >= ${cutoff.toISOString()}::timestamptz
               or not (l.state in ('cancelled', 'rerouted') or (l.state = 'forwarded' and l.field_status in (${terminal})))))
      and not exists (select 1 from outbox_jobs j where j.case_id = c.id and j.state in ('pending', 'running'))
      and not exists (
        select 1 from inbox_events i join links l on l.external_ref = i.external_ref
        where l.case_id = c.id and i.state = 'pending')
    order by c.id
    limit ${limit}`;
}

/**
 * Purges the personal data of finished cases older than `days`, a batch per transaction, each
 * batch with its audit row of counts (S7). A dry run counts what would go.
 */
export async function purgeExpiredPersonalData(
  deps: { database: Database; now: () => Date },
  options: RetentionOptions,
): Promise<RetentionSummary> {
  const { database } = deps;
  const cutoff = new Date(deps.now().getTime() - options.days * 86_400_000);
  const summary: RetentionSummary = {
    dryRun: options.dryRun === true,
    days: options.days,
    cutoff: cutoff.toISOString(),
    cases: 0,
    inboxNotes: 0,
    jobs: 0,
    links: 0,
  };
  const batchSize = options.batchSize ?? 500;
  if (options.dryRun) {
    const [row] = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from (${eligibleCases(cutoff, 2_147_483_647)}) as eligible`,
    );
    summary.cases = Number(row?.n ?? 0);
    return summary;
  }
  for (;;) {
    const batch = await database.db.transaction(async (tx) => {
      // The update re-checks its WHERE under the row lock: a case intake changed meanwhile stays.
      const purged = await database.rows<{ id: string }>(
        sql`update cases set
              snapshot = snapshot || jsonb_build_object(
                'statusNotes', null, 'title', null, 'description', null, 'address', null, 'addressId', null,
                'zipcode', null, 'lat', null, 'long', null, 'serviceObjectId', null, 'serviceObjectType', null,
                'mediaUrls', '[]'::jsonb, 'tasks', '[]'::jsonb, 'reporter', null),
              purged_at = now()
            where id in (${eligibleCases(cutoff, batchSize)})
              and (purged_at is null or updated_at > purged_at) and updated_at < ${cutoff.toISOString()}::timestamptz
            returning id`,
        tx,
      );
      const ids = purged.map((row) => row.id);
      const counts = { cases: ids.length, inboxNotes: 0, jobs: 0, links: 0 };
      if (ids.length > 0) {
        const idList = sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        );
        const notes = await database.rows(
          sql`update inbox_events set note = null
              where note is not null and external_ref in (select external_ref from links where case_id in (${idList}))
              returning id`,
          tx,
        );
        const jobs = await scrubJobTexts(database, tx, idList);
        const parked = await scrubParkedReasons(database, tx, idList);
        Object.assign(counts, { inboxNotes: notes.length, jobs, links: parked });
      }
      // One row per batch, in its transaction (a purge that does not commit leaves no row); a
      // run that found nothing still leaves one, so the audit shows retention ran.
      if (ids.length > 0 || summary.cases === 0)
        await writeAudit(tx, {
          actor: "system",
          action: "retention.purge",
          subject: `retention:${options.days}d`,
          detail: { cutoff: summary.cutoff, ...counts },
          result: "purged",
        });
      return counts;
    });
    summary.cases += batch.cases;
    summary.inboxNotes += batch.inboxNotes;
    summary.jobs += batch.jobs;
    summary.links += batch.links;
    if (batch.cases < batchSize) break;
  }
  return summary;
}
