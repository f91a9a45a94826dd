import { sql } from "drizzle-orm";
import { atMostEvery } from "../../lib/at-most-every.ts";
import type { CaseRecord } from "../../ports/case-system.ts";
import type { SiltaDeps } from "../deps.ts";
import { appendLedger } from "../ledger.ts";
import { buildWorkOrderPayload } from "../work-order-payload.ts";
import { LOOKUP_FIRST_FLAG } from "./redrive.ts";

/** The job payload's mark of a work order sent by e-mail (ISO time). */
export const FALLBACK_FLAG = "fallbackAt";

/**
 * The fallback channel (targets.yaml `policy.fallback`): a create that has waited longer than
 * `afterMinutes` because its target is paused or failing goes by e-mail to the target's duty
 * address, with the same allowlisted fields. The job stays pending, marked look-up-first: when
 * the target is back, Silta looks the reference up before creating, so an order the contractor
 * entered from the e-mail is not created twice. Each job is e-mailed once; the ledger records it.
 */
export async function sendFallbacks(deps: SiltaDeps, limit = 50): Promise<number> {
  const mailer = deps.fallbackMailer;
  const withFallback = [...deps.mappings.targets.values()].filter((t) => t.policy.fallback);
  if (!mailer || withFallback.length === 0) return 0;
  const terms = sql.join(
    withFallback.map((t) => sql`(${t.id}, ${t.policy.fallback?.afterMinutes ?? 0}::float8)`),
    sql`, `,
  );
  const due = await deps.database.rows<{
    id: number;
    link_id: number;
    case_id: string;
    target: string;
    external_ref: string;
    snapshot: CaseRecord;
  }>(sql`
    with terms(target, after_minutes) as (values ${terms})
    select j.id, j.link_id, j.case_id, j.target, l.external_ref, c.snapshot
    from outbox_jobs j
    join terms t on t.target = j.target
    join links l on l.id = j.link_id
    join cases c on c.id = j.case_id
    where j.kind = 'create_work_order' and j.state = 'pending' and l.state = 'pending'
      and not (j.payload ? ${FALLBACK_FLAG})
      and j.created_at < now() - t.after_minutes * interval '1 minute'
      -- The target is failing (some of its waiting orders failed: the breaker may hold the rest
      -- back untried) or paused.
      and (exists (select 1 from outbox_jobs f where f.target = j.target and f.state = 'pending' and f.last_error_code is not null)
        or j.target in (select target from target_pauses where until is null or until > now()))
    order by j.id
    limit ${limit}`);
  let sent = 0;
  for (const job of due) {
    const target = deps.mappings.targets.get(job.target);
    const fallback = target?.policy.fallback;
    if (!target || !fallback) continue;
    const payload = buildWorkOrderPayload(job.snapshot, target, job.external_ref, deps.media);
    try {
      const { messageId } = await mailer.sendWorkOrder({ to: fallback.email, targetName: target.name, payload });
      await deps.database.db.transaction(async (tx) => {
        await deps.database.rows(
          sql`update outbox_jobs set payload = payload || ${JSON.stringify({ [FALLBACK_FLAG]: deps.now().toISOString(), [LOOKUP_FIRST_FLAG]: true })}::jsonb,
                updated_at = now()
              where id = ${job.id} and state = 'pending'`,
          tx,
        );
        await appendLedger(tx, {
          caseId: job.case_id,
          linkId: Number(job.link_id),
          target: job.target,
          direction: "target_out",
          operation: "create_work_order",
          outcome: "fallback",
          idempotencyKey: job.external_ref,
          detail: `e-mailed to the target's duty address (message ${messageId.slice(0, 120)}); sent to the target too once it is back, looked up first`,
        });
      });
      sent++;
    } catch (error) {
      deps.log.error(
        { jobId: job.id, target: job.target, err: error instanceof Error ? error.message : String(error) },
        "a fallback e-mail failed; it is tried again at the next sweep",
      );
    }
  }
  if (sent > 0) deps.log.info({ sent }, "work orders sent by e-mail while their targets could not take them");
  return sent;
}

/** `sendFallbacks` at most every 15 s per deps (none without a mailer): called from the work loops' rounds. */
export const sendFallbacksNowAndThen = atMostEvery<SiltaDeps>(15_000, async (deps) => {
  if (deps.fallbackMailer) await sendFallbacks(deps);
});
