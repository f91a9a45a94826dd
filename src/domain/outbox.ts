import { and, eq, sql } from "drizzle-orm";
import type { Database, Tx } from "../db/client.ts";
import { type OutboxJobKind, outboxJobs } from "../db/schema/index.ts";

export type OutboxJob = typeof outboxJobs.$inferSelect;

export interface NewJob {
  kind: OutboxJobKind;
  dedupeKey: string;
  linkId: number;
  caseId: string;
  target: string;
  payload?: Record<string, unknown>;
  runAt?: Date;
}

/** Adds a job in the caller's transaction; a job with the same dedupe key is not added twice. */
export async function enqueueJob(tx: Tx, job: NewJob): Promise<void> {
  await tx
    .insert(outboxJobs)
    .values({ ...job, payload: job.payload ?? {}, runAt: job.runAt ?? new Date() })
    .onConflictDoNothing({ target: outboxJobs.dedupeKey });
}

/**
 * Adds the job, or re-arms it when it already exists and is finished: used for write-back, where
 * one job per link always sends the link's latest status. A running job is left alone; it
 * re-arms itself on completion when the status moved meanwhile.
 */
export async function enqueueOrRearmJob(tx: Tx, job: NewJob): Promise<void> {
  await tx
    .insert(outboxJobs)
    .values({ ...job, payload: job.payload ?? {}, runAt: job.runAt ?? new Date() })
    .onConflictDoUpdate({
      target: outboxJobs.dedupeKey,
      set: {
        state: "pending",
        runAt: sql`now()`,
        attempts: 0,
        firstAttemptAt: null,
        finishedAt: null,
        lastError: null,
        lastErrorCode: null,
        lastHttpStatus: null,
        updatedAt: sql`now()`,
      },
      setWhere: sql`${outboxJobs.state} in ('done', 'dead')`,
    });
}

/**
 * Claims due jobs for this worker: pending ones whose time has come and running ones whose
 * lease expired (their worker died). `FOR UPDATE SKIP LOCKED` lets several workers claim side
 * by side without waiting on or taking each other's rows.
 */
export async function claimDueJobs(database: Database, workerId: string, limit: number, leaseMs: number): Promise<OutboxJob[]> {
  const rows = await database.rows<Record<string, unknown>>(sql`
    update outbox_jobs set
      state = 'running',
      lease_owner = ${workerId},
      lease_until = now() + (${leaseMs} * interval '1 millisecond'),
      attempts = attempts + 1,
      first_attempt_at = coalesce(first_attempt_at, now()),
      updated_at = now()
    where id in (
      select id from outbox_jobs
      where (state = 'pending' and run_at <= now()) or (state = 'running' and lease_until < now())
      order by run_at
      limit ${limit}
      for update skip locked
    )
    returning id
  `);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => Number(r.id));
  return database.db
    .select()
    .from(outboxJobs)
    .where(sql`${outboxJobs.id} in (${sql.join(ids, sql`, `)})`);
}

/** Extends this worker's lease on a job that is still being worked on. */
export async function heartbeatJob(database: Database, job: OutboxJob, workerId: string, leaseMs: number): Promise<boolean> {
  const rows = await database.db
    .update(outboxJobs)
    .set({ leaseUntil: sql`now() + (${leaseMs} * interval '1 millisecond')` })
    .where(and(eq(outboxJobs.id, job.id), eq(outboxJobs.state, "running"), eq(outboxJobs.leaseOwner, workerId)))
    .returning({ id: outboxJobs.id });
  return rows.length > 0;
}

/**
 * Moves a claimed job to its next state, only if this worker still holds it. An empty result
 * means the lease was lost to another worker: an expected outcome, and the caller must not
 * commit anything else in the same transaction.
 */
export async function finishJob(
  tx: Tx,
  job: OutboxJob,
  workerId: string,
  next:
    | { state: "done" }
    | { state: "pending"; runAt: Date; errorCode: string; error: string; httpStatus: number | null }
    | { state: "dead"; errorCode: string; error: string; httpStatus: number | null },
): Promise<boolean> {
  const common = { leaseOwner: null, leaseUntil: null, updatedAt: sql`now()` } as const;
  const set =
    next.state === "done"
      ? { ...common, state: "done" as const, finishedAt: sql`now()` }
      : next.state === "pending"
        ? {
            ...common,
            state: "pending" as const,
            runAt: next.runAt,
            lastErrorCode: next.errorCode,
            lastError: next.error,
            lastHttpStatus: next.httpStatus,
          }
        : {
            ...common,
            state: "dead" as const,
            finishedAt: sql`now()`,
            lastErrorCode: next.errorCode,
            lastError: next.error,
            lastHttpStatus: next.httpStatus,
          };
  const rows = await tx
    .update(outboxJobs)
    .set(set)
    .where(and(eq(outboxJobs.id, job.id), eq(outboxJobs.state, "running"), eq(outboxJobs.leaseOwner, workerId)))
    .returning({ id: outboxJobs.id });
  return rows.length > 0;
}
