import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Database, Tx } from "../../db/client.ts";
import { type OutboxJobKind, outboxJobs } from "../../db/schema/index.ts";
import type { ErrorCode } from "../../kernel/errors.ts";

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
  await enqueueOrRearmJobs(tx, [job]);
}

/** `enqueueOrRearmJob` for several jobs in one statement (dedupe keys must differ). */
export async function enqueueOrRearmJobs(tx: Tx, jobs: readonly NewJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await tx
    .insert(outboxJobs)
    .values(jobs.map((job) => ({ ...job, payload: job.payload ?? {}, runAt: job.runAt ?? new Date() })))
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

/** The targets paused now: a pause whose `until` has passed no longer holds, even before it is cleared. */
export const PAUSED_TARGETS = sql`select target from target_pauses where until is null or until > now()`;

export interface ClaimOptions {
  /** Targets whose jobs are left alone this round (open breaker, Retry-After running). */
  excludeTargets?: readonly string[];
  /** At most this many jobs of one target per batch: a slow target cannot take every lane. */
  perTargetLimit?: number;
}

/**
 * Claims due jobs for this worker: pending ones whose time has come and running ones whose
 * lease expired (their worker died). `FOR UPDATE SKIP LOCKED` lets several workers claim side
 * by side without waiting on or taking each other's rows; the due condition sits on the locking
 * level so that PostgreSQL re-checks it on the row version it locked.
 */
export async function claimDueJobs(
  database: Database,
  workerId: string,
  limit: number,
  leaseMs: number,
  options: ClaimOptions = {},
): Promise<OutboxJob[]> {
  const due = sql`((state = 'pending' and run_at <= now()) or (state = 'running' and lease_until < now()))`;
  const excluded = (column: SQL) =>
    options.excludeTargets && options.excludeTargets.length > 0
      ? sql`and ${column} not in (${sql.join(
          options.excludeTargets.map((t) => sql`${t}`),
          sql`, `,
        )})`
      : sql``;
  // A paused target's jobs are not claimed at all: they wait without spending attempts (target-pauses.ts).
  const notPaused = (column: SQL) => sql`and ${column} not in (${PAUSED_TARGETS})`;
  const perTarget = options.perTargetLimit ?? limit;
  const sentAt = Date.now();
  // One statement: the claimed rows come back mapped (a second read by id cost a round trip per claim).
  const jobs = await database.db
    .update(outboxJobs)
    .set({
      state: "running",
      leaseOwner: workerId,
      leaseUntil: sql`now() + (${leaseMs} * interval '1 millisecond')`,
      attempts: sql`${outboxJobs.attempts} + 1`,
      firstAttemptAt: sql`coalesce(${outboxJobs.firstAttemptAt}, now())`,
      updatedAt: sql`now()`,
    })
    .where(sql`${outboxJobs.id} in (
      select id from outbox_jobs
      where ${due} and id in (
        -- The targets with pending jobs, one index probe each (a loose index scan of the partial
        -- pending index), then each target's first due jobs: the cost follows the number of
        -- targets and the batch, not the backlog. Ranking every due job instead cost 11-16 ms a
        -- claim with 8,000 jobs waiting, and made a backlog slow down the work that drains it.
        with recursive pending_targets(target) as (
          (select target from outbox_jobs where state = 'pending' order by target limit 1)
          union all
          select (select o.target from outbox_jobs o where o.state = 'pending' and o.target > p.target order by o.target limit 1)
          from pending_targets p where p.target is not null
        )
        select id from (
          select id, run_at, row_number() over (partition by target order by run_at, id) as rank
          from (
            select first_due.id, first_due.target, first_due.run_at
            from pending_targets p
            cross join lateral (
              select id, target, run_at from outbox_jobs
              where state = 'pending' and target = p.target and run_at <= now()
              order by run_at, id
              limit ${perTarget}
            ) first_due
            where p.target is not null ${excluded(sql`p.target`)} ${notPaused(sql`p.target`)}
            union all
            -- Expired leases (their worker died): few, through the partial running index.
            select id, target, run_at from outbox_jobs where state = 'running' and lease_until < now() ${excluded(sql`target`)} ${notPaused(sql`target`)}
          ) due_now
        ) ranked
        where rank <= ${perTarget}
        order by run_at, id
        limit ${limit}
      )
      for update skip locked
    )`)
    .returning();
  for (const job of jobs) leaseStarts.set(job, sentAt);
  return jobs;
}

/**
 * When this process last asked for each claimed job's lease (claim or heartbeat), by its own
 * clock: the database set the lease to expire `leaseMs` after it ran the statement, which is no
 * earlier than this. A local time, so no clock agreement with the database server is needed.
 */
const leaseStarts = new WeakMap<OutboxJob, number>();

/** How long this worker's lease on the job surely still runs, in ms (0 when unknown). */
export function leaseRemainingMs(job: OutboxJob, leaseMs: number, now = Date.now()): number {
  const from = leaseStarts.get(job);
  return from === undefined ? 0 : Math.max(0, leaseMs - (now - from));
}

/**
 * Puts claimed jobs back without an attempt: used when a target may not be called now (open
 * breaker, Retry-After, retry budget) and when a stopping worker hands back what it has not
 * started. The attempt the claim counted is taken back, so that only real calls count.
 */
export async function releaseJobs(
  database: Database,
  jobIds: readonly number[],
  workerId: string,
  runAt: Date | null = null,
): Promise<number> {
  if (jobIds.length === 0) return 0;
  const rows = await database.db
    .update(outboxJobs)
    .set({
      state: "pending",
      leaseOwner: null,
      leaseUntil: null,
      attempts: sql`greatest(${outboxJobs.attempts} - 1, 0)`,
      runAt: runAt ?? sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        sql`${outboxJobs.id} in (${sql.join(
          jobIds.map((id) => sql`${id}`),
          sql`, `,
        )})`,
        eq(outboxJobs.state, "running"),
        eq(outboxJobs.leaseOwner, workerId),
      ),
    )
    .returning({ id: outboxJobs.id });
  return rows.length;
}

/** Extends this worker's lease on a job that is still being worked on. */
export async function heartbeatJob(database: Database, job: OutboxJob, workerId: string, leaseMs: number): Promise<boolean> {
  const sentAt = Date.now();
  const rows = await database.db
    .update(outboxJobs)
    .set({ leaseUntil: sql`now() + (${leaseMs} * interval '1 millisecond')` })
    .where(and(eq(outboxJobs.id, job.id), eq(outboxJobs.state, "running"), eq(outboxJobs.leaseOwner, workerId)))
    .returning({ id: outboxJobs.id });
  if (rows.length > 0) leaseStarts.set(job, sentAt);
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
    | { state: "pending"; runAt: Date; errorCode: ErrorCode; error: string; httpStatus: number | null }
    | { state: "dead"; errorCode: ErrorCode; error: string; httpStatus: number | null },
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

/** Adds several jobs in one statement (the intake's creates); a job whose key exists is not added twice. */
export async function enqueueJobs(tx: Tx, jobs: readonly NewJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await tx
    .insert(outboxJobs)
    .values(jobs.map((job) => ({ ...job, payload: job.payload ?? {}, runAt: job.runAt ?? new Date() })))
    .onConflictDoNothing({ target: outboxJobs.dedupeKey });
}

/**
 * The re-arm clause of an insert into `outbox_jobs`, for one-statement commits that queue a job
 * beside other writes: an existing finished job with the same key starts again as if new (the
 * columns `enqueueOrRearmJobs` sets); a pending or running one is left alone.
 */
export const REARM_ON_CONFLICT = sql`on conflict (dedupe_key) do update set state = 'pending', run_at = now(), attempts = 0,
      first_attempt_at = null, finished_at = null, last_error = null, last_error_code = null,
      last_http_status = null, updated_at = now()
    where outbox_jobs.state in ('done', 'dead')`;

/** `insert … select` of one job for each row of `from` (a CTE), re-armed as REARM_ON_CONFLICT says. */
export function enqueueOrRearmFromSql(job: NewJob, from: SQL): SQL {
  return sql`insert into outbox_jobs (kind, dedupe_key, link_id, case_id, target)
      select ${job.kind}::text, ${job.dedupeKey}::text, ${job.linkId}::bigint, ${job.caseId}::text, ${job.target}::text ${from}
      ${REARM_ON_CONFLICT}`;
}

/** The `update` that finishes a claimed job as done, only while this worker holds it; returns its id. */
export function finishJobDoneSql(jobId: number, workerId: string): SQL {
  return sql`update outbox_jobs set state = 'done', lease_owner = null, lease_until = null, finished_at = now(), updated_at = now()
      where id = ${jobId} and state = 'running' and lease_owner = ${workerId}
      returning id`;
}

/**
 * Queues a create again whose work order the target lost (a reconciliation repair): the job
 * carries LOOKUP_FIRST_FLAG and at least one attempt, so it looks the order up by reference
 * before creating, and never makes a second one.
 */
export async function requeueCreateLookingUpFirst(tx: Tx, job: NewJob, flag: string): Promise<void> {
  const payload = JSON.stringify({ [flag]: true });
  await tx.execute(
    sql`insert into outbox_jobs (kind, dedupe_key, link_id, case_id, target, payload, attempts, run_at)
        values (${job.kind}, ${job.dedupeKey}, ${job.linkId}, ${job.caseId}, ${job.target}, ${payload}::jsonb, 1, now())
        on conflict (dedupe_key) do update set
          state = 'pending', run_at = now(), attempts = greatest(outbox_jobs.attempts, 1), first_attempt_at = null,
          payload = outbox_jobs.payload || ${payload}::jsonb,
          finished_at = null, last_error = null, last_error_code = null, last_http_status = null,
          lease_owner = null, lease_until = null, updated_at = now()
        where outbox_jobs.state in ('done', 'dead')`,
  );
}

/** Locks one job for an admin action. */
export async function lockJob(tx: Tx, jobId: number): Promise<OutboxJob | undefined> {
  const [job] = await tx.select().from(outboxJobs).where(eq(outboxJobs.id, jobId)).for("update");
  return job;
}

/** "Retry now": a pending job becomes due at once. */
export async function makeJobDueNow(tx: Tx, jobId: number): Promise<void> {
  await tx.update(outboxJobs).set({ runAt: sql`now()`, updatedAt: sql`now()` }).where(eq(outboxJobs.id, jobId));
}

/**
 * A target's pause ended: its waiting jobs become due at once, in the order they were created
 * (equal run times fall back to id), and their retry horizon starts again, since the pause
 * must not count against it.
 */
export async function wakePausedTargetJobs(tx: Tx, target: string): Promise<number> {
  const rows = await tx
    .update(outboxJobs)
    .set({ runAt: sql`now()`, firstAttemptAt: null, updatedAt: sql`now()` })
    .where(and(eq(outboxJobs.target, target), eq(outboxJobs.state, "pending")))
    .returning({ id: outboxJobs.id });
  return rows.length;
}

/** An admin decided a dead or pending job will not be sent. */
export async function markJobSkipped(tx: Tx, jobId: number): Promise<void> {
  await tx
    .update(outboxJobs)
    .set({ state: "skipped", finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(outboxJobs.id, jobId), sql`${outboxJobs.state} in ('dead', 'pending')`));
}

/** Records an admin's acknowledgement of a job's failure (silenced until `until`, or until it changes). */
export async function acknowledgeJobFailure(
  tx: Tx,
  jobId: number,
  ack: { actor: string; note: string; until: Date | null },
): Promise<void> {
  await tx
    .update(outboxJobs)
    .set({ acknowledgedBy: ack.actor, acknowledgeNote: ack.note, acknowledgedUntil: ack.until, updatedAt: sql`now()` })
    .where(eq(outboxJobs.id, jobId));
}

/** Retention: drops payloads and error texts of the cases' jobs (they may echo case text); returns how many. */
export async function scrubJobTexts(database: Database, tx: Tx, caseIds: SQL): Promise<number> {
  const rows = await database.rows(
    sql`update outbox_jobs set payload = '{}'::jsonb, last_error = null
        where case_id in (${caseIds}) and (payload <> '{}'::jsonb or last_error is not null)
        returning id`,
    tx,
  );
  return rows.length;
}
