import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { links, type OutboxJobKind, outboxJobs } from "../db/schema/index.ts";
import { appendLedger } from "./ledger.ts";

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

/**
 * Re-drives one dead-lettered job: it becomes due now with a fresh retry horizon, and a parked
 * link goes back to pending, with a ledger entry in the same transaction. A create that was
 * ever attempted keeps the knowledge that it may have reached the target, so the re-driven
 * attempt looks the order up first and never creates a second one. False when the job is not
 * dead (already re-driven, or never failed).
 */
export async function redriveJob(database: Database, jobId: number, by = "admin"): Promise<boolean> {
  return database.db.transaction(async (tx) => {
    const [job] = await tx
      .select()
      .from(outboxJobs)
      .where(and(eq(outboxJobs.id, jobId), eq(outboxJobs.state, "dead")))
      .for("update");
    if (!job) return false;
    const mayHaveReached = job.attempts > 0 || job.payload[LOOKUP_FIRST_FLAG] === true;
    await tx
      .update(outboxJobs)
      .set({
        state: "pending",
        runAt: sql`now()`,
        attempts: 0,
        firstAttemptAt: null,
        finishedAt: null,
        leaseOwner: null,
        leaseUntil: null,
        payload: mayHaveReached ? { ...job.payload, [LOOKUP_FIRST_FLAG]: true } : job.payload,
        updatedAt: sql`now()`,
      })
      .where(and(eq(outboxJobs.id, job.id), eq(outboxJobs.state, "dead")));
    if (job.kind === "create_work_order") {
      await tx
        .update(links)
        .set({ state: "pending", parkedCode: null, parkedReason: null, updatedAt: new Date() })
        .where(and(eq(links.id, job.linkId), eq(links.state, "parked")));
    }
    await appendLedger(tx, {
      caseId: job.caseId,
      linkId: job.linkId,
      target: job.target,
      direction: "internal",
      operation: job.kind,
      outcome: "redriven",
      errorCode: job.lastErrorCode,
      attempt: job.attempts,
      detail: `re-driven by ${by.slice(0, 60)}`,
    });
    return true;
  });
}

/** Re-drives every dead job that matches the filter, oldest first; returns how many were re-driven. */
export async function redriveDeadJobs(database: Database, filter: RedriveFilter = {}, by = "admin"): Promise<number> {
  const conditions = [eq(outboxJobs.state, "dead")];
  if (filter.target) conditions.push(eq(outboxJobs.target, filter.target));
  if (filter.kind) conditions.push(eq(outboxJobs.kind, filter.kind));
  if (filter.errorCode) conditions.push(eq(outboxJobs.lastErrorCode, filter.errorCode));
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
