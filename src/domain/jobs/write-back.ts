import { eq, sql } from "drizzle-orm";
import { links } from "../../db/schema/index.ts";
import { duplicatesOf } from "../duplicates.ts";
import { appendLedger, appendLedgerFromSql } from "../ledger.ts";
import { lockForWriteBackSql, recordWrittenBackSql } from "../links.ts";
import { finishOrThrow, type JobRun } from "./handler.ts";
import { LeaseLostError } from "./job-errors.ts";
import { writeBackJobFor } from "./keys.ts";
import { commitOutcome } from "./outcome-commits.ts";
import { withQuickRetry } from "./quick-retry.ts";
import { enqueueOrRearmJob } from "./store.ts";

/** Silta's id for the write-back of one status of one link: repeated sends are one update to the case system. */
export function writeBackUpdateId(linkId: number, status: string): string {
  return `silta-${linkId}-${status}`;
}

/**
 * Writes the link's current field status back to the case: the mapped service-request-update
 * status, the Helsinki public-works code and a citizen-safe note from `mappings/writeback.yaml`
 * (never the crew's free text). One job per link always sends the latest status; if the status
 * moved while this one was on the wire, the job re-arms itself.
 */
export async function writeBack(run: JobRun): Promise<void> {
  const { deps, job, link, gate } = run;
  const finish: (tx: Parameters<typeof finishOrThrow>[0], next: Parameters<typeof finishOrThrow>[2]) => Promise<void> = (
    tx,
    next,
  ) => finishOrThrow(tx, run, next);
  const started = Date.now();
  const writeBack = deps.source?.writeBack;
  if (writeBack && !writeBack.enabled) {
    // The case system takes no write-backs (probed at start, or configured off): say so once per
    // job in the ledger and finish, instead of retrying into dead letters.
    await deps.database.db.transaction(async (tx) => {
      await finish(tx, { state: "done" });
      await appendLedger(tx, {
        caseId: link.caseId,
        linkId: link.id,
        target: job.target,
        direction: "source_out",
        operation: "write_back",
        outcome: "skipped",
        detail: `write-back off: ${writeBack.reason}`.slice(0, 200),
      });
    });
    return;
  }
  const status = link.fieldStatus;
  const mapped = deps.mappings.writeback.statuses[status];
  if (link.state === "pending" || link.state === "parked") {
    // A status event can overtake the create's commit: write back only once the create is
    // confirmed. The create re-arms this job when it commits; if it committed while we looked,
    // re-arm here. (A parked create is re-driven through the same path.)
    await deps.database.db.transaction(async (tx) => {
      // Link first, then the job: the create's commit takes them in the same order (no deadlock).
      const [current] = await tx.select({ state: links.state }).from(links).where(eq(links.id, link.id)).for("update");
      await finish(tx, { state: "done" });
      if (current && current.state !== "pending" && current.state !== "parked") {
        await enqueueOrRearmJob(tx, writeBackJobFor(link));
      }
    });
    return;
  }
  if (!mapped || link.writtenBackStatus === status) {
    await deps.database.db.transaction(async (tx) => finish(tx, { state: "done" }));
    return;
  }
  const updateId = writeBackUpdateId(link.id, status);
  const update = (serviceRequestId: string, id: string) => ({
    serviceRequestId,
    updateId: id,
    updatedAt: (link.fieldStatusAt ?? deps.now()).toISOString(),
    status: mapped.open311,
    description: mapped.note[deps.mappings.writeback.locale],
    externalStatusCode: mapped.works,
  });
  gate.enter();
  await withQuickRetry(() => deps.caseSystem.postStatusUpdate(update(link.caseId, updateId)));
  // Duplicates share this work order: each gets the same status under an update id of its own,
  // so a retried job repeats none of them at the case system.
  const duplicates = run.duplicates ?? (await duplicatesOf(deps, link.caseId));
  for (const duplicate of duplicates)
    await withQuickRetry(() => deps.caseSystem.postStatusUpdate(update(duplicate, duplicateUpdateId(updateId, duplicate))));
  deps.crashPoint?.("before_write_back_commit");
  await commitWrittenBack(run, { status, updateId, works: mapped.works, started });
  if (duplicates.length > 0)
    await appendLedger(
      deps.database.db,
      duplicates.map((duplicate) => ({
        caseId: duplicate,
        target: link.target,
        direction: "source_out" as const,
        operation: "write_back" as const,
        outcome: "ok",
        idempotencyKey: duplicateUpdateId(updateId, duplicate),
        detail: `${status} as ${mapped.works}, shared from ${link.caseId}`,
      })),
    );
}

/** The update id of a status written to a duplicate: the parent's, plus the duplicate's id. */
export function duplicateUpdateId(updateId: string, duplicate: string): string {
  return `${updateId}-for-${duplicate}`;
}

/**
 * Records a posted write-back in one statement, committed with other waiting outcomes
 * (outcome-commits.ts): the link's written-back status,
 * the ledger entry, and the job, which finishes, or re-arms itself when the field status moved
 * while this one was on the wire. Nothing is written unless this worker still holds the job.
 * Link first, then the job: applying a field event locks them in this order too, and the
 * opposite order deadlocks against it (PostgreSQL then aborts one side after a second). The
 * CTEs depend on each other in that order, so PostgreSQL runs them in that order.
 */
async function commitWrittenBack(
  run: JobRun,
  facts: { status: string; updateId: string; works: string; started: number },
): Promise<void> {
  const { deps, job, link } = run;
  const { status, updateId, works, started } = facts;
  const [result] = await commitOutcome<{ finished: number }>(
    deps.database,
    sql`
    with link_row as (
      ${lockForWriteBackSql(link.id, status)}
    ), owned as (
      select id from outbox_jobs
      where id = ${job.id} and state = 'running' and lease_owner = ${deps.settings.workerId}
        and exists (select 1 from link_row)
      for update
    ), linked as (
      ${recordWrittenBackSql(link.id, status, sql`exists (select 1 from owned)`)}
    ), finished as (
      -- The status moved meanwhile: the job re-arms as enqueueOrRearmJobs would (the same columns),
      -- so it sends the newer status next, as a fresh job would.
      update outbox_jobs set lease_owner = null, lease_until = null, updated_at = now(),
        state = case when l.moved then 'pending' else 'done' end,
        finished_at = case when l.moved then null else now() end,
        run_at = case when l.moved then now() else outbox_jobs.run_at end,
        attempts = case when l.moved then 0 else outbox_jobs.attempts end,
        first_attempt_at = case when l.moved then null else outbox_jobs.first_attempt_at end,
        last_error = case when l.moved then null else outbox_jobs.last_error end,
        last_error_code = case when l.moved then null else outbox_jobs.last_error_code end,
        last_http_status = case when l.moved then null else outbox_jobs.last_http_status end
      from link_row l
      where outbox_jobs.id in (select id from owned) and exists (select 1 from linked)
      returning outbox_jobs.id
    ), ledger as (
      ${appendLedgerFromSql(
        {
          caseId: link.caseId,
          linkId: link.id,
          target: link.target,
          direction: "source_out",
          operation: "write_back",
          outcome: "ok",
          idempotencyKey: updateId,
          latencyMs: Date.now() - started,
          attempt: job.attempts,
          detail: `${status} as ${works}`,
        },
        sql`from finished`,
      )}
    )
    select (select count(*) from finished)::int as finished`,
  );
  if (!result || Number(result.finished) === 0) throw new LeaseLostError(job.id);
}
