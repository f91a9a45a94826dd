import { and, eq, sql } from "drizzle-orm";
import type { Database, Tx } from "../../db/client.ts";
import type { LedgerOutcome } from "../../db/schema/index.ts";
import { type OutboxJobKind, outboxJobs } from "../../db/schema/index.ts";
import type { ErrorCode } from "../../kernel/errors.ts";
import { appendLedger } from "../ledger.ts";
import { unparkLink } from "../links.ts";

/**
 * Payload flag of a create job: an earlier attempt may have reached the target, so the next
 * attempt looks the order up by its reference before sending, even though a re-drive reset the
 * attempt count (R2, R6).
 */
export const LOOKUP_FIRST_FLAG = "lookupFirst";

export interface RedriveFilter {
  target?: string;
  kind?: OutboxJobKind;
  errorCode?: string;
  /** Only these jobs. */
  jobIds?: readonly number[];
  /** At most this many (oldest first); default 1000. */
  limit?: number;
}

type Job = typeof outboxJobs.$inferSelect;

export interface RequeueHow {
  /**
   * `reset`: attempts start again from 0, and a create that was ever attempted carries
   * LOOKUP_FIRST_FLAG. `keep_at_least_one`: attempts stay ≥ 1, so the next claim makes them ≥ 2
   * and the create looks up first by its attempt count. Either way no second work order.
   */
  attempts: "reset" | "keep_at_least_one";
  /** Ledger outcome and detail for the requeue. */
  outcome: LedgerOutcome;
  detail: string;
}

/**
 * Puts a stopped (dead or skipped) job back in the queue inside the caller's transaction: due
 * now with a fresh retry horizon, lease and acknowledgement cleared (it is no longer a dead
 * letter), a parked create's link back to pending, and a ledger entry. The update is guarded by
 * the state the caller locked; false when another actor moved the job meanwhile.
 */
export async function requeueStoppedJob(tx: Tx, job: Job, how: RequeueHow): Promise<boolean> {
  const mayHaveReached = job.attempts > 0 || job.payload[LOOKUP_FIRST_FLAG] === true;
  const requeued = await tx
    .update(outboxJobs)
    .set({
      state: "pending",
      runAt: sql`now()`,
      ...(how.attempts === "reset"
        ? { attempts: 0, payload: mayHaveReached ? { ...job.payload, [LOOKUP_FIRST_FLAG]: true } : job.payload }
        : { attempts: sql`greatest(${outboxJobs.attempts}, 1)` }),
      firstAttemptAt: null,
      finishedAt: null,
      leaseOwner: null,
      leaseUntil: null,
      acknowledgedBy: null,
      acknowledgeNote: null,
      acknowledgedUntil: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(outboxJobs.id, job.id), eq(outboxJobs.state, job.state)))
    .returning({ id: outboxJobs.id });
  if (requeued.length === 0) return false;
  if (job.kind === "create_work_order") {
    await unparkLink(tx, job.linkId);
  }
  await appendLedger(tx, {
    caseId: job.caseId,
    linkId: job.linkId,
    target: job.target,
    direction: "internal",
    operation: job.kind,
    outcome: how.outcome,
    errorCode: job.lastErrorCode,
    attempt: job.attempts,
    detail: how.detail,
  });
  return true;
}

/**
 * Re-drives one dead-lettered job (see requeueStoppedJob). A create that was ever attempted
 * keeps the knowledge that it may have reached the target, so the re-driven attempt looks the
 * order up first and never creates a second one. False when the job is not dead (already
 * re-driven, or never failed).
 */
export async function redriveJob(database: Database, jobId: number, by = "admin"): Promise<boolean> {
  return database.db.transaction(async (tx) => {
    const [job] = await tx
      .select()
      .from(outboxJobs)
      .where(and(eq(outboxJobs.id, jobId), eq(outboxJobs.state, "dead")))
      .for("update");
    if (!job) return false;
    return requeueStoppedJob(tx, job, { attempts: "reset", outcome: "redriven", detail: `re-driven by ${by.slice(0, 60)}` });
  });
}

/** Re-drives every dead job that matches the filter, oldest first; returns how many were re-driven. */
export async function redriveDeadJobs(database: Database, filter: RedriveFilter = {}, by = "admin"): Promise<number> {
  const conditions = [eq(outboxJobs.state, "dead")];
  if (filter.target) conditions.push(eq(outboxJobs.target, filter.target));
  if (filter.kind) conditions.push(eq(outboxJobs.kind, filter.kind));
  if (filter.errorCode) conditions.push(eq(outboxJobs.lastErrorCode, filter.errorCode as ErrorCode));
  if (filter.jobIds) {
    if (filter.jobIds.length === 0) return 0;
    conditions.push(
      sql`${outboxJobs.id} in (${sql.join(
        filter.jobIds.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
  }
  const candidates = await database.db
    .select({ id: outboxJobs.id })
    .from(outboxJobs)
    .where(and(...conditions))
    .orderBy(outboxJobs.id)
    .limit(filter.limit ?? 1000);
  let count = 0;
  for (const { id } of candidates) if (await redriveJob(database, id, by)) count++;
  return count;
}
