import { eq, inArray } from "drizzle-orm";
import { describeFailure } from "../../db/describe-database-error.ts";
import { cases, links } from "../../db/schema/index.ts";
import { SiltaError, toSiltaError } from "../../kernel/errors.ts";
import type { CaseRecord } from "../../ports/case-system.ts";
import { deliveryDisclosure, recordDisclosure } from "../admin/audit.ts";
import type { SiltaDeps } from "../deps.ts";
import { duplicateIdsJson } from "../duplicates.ts";
import { appendLedger, parkEntry } from "../ledger.ts";
import { type Link, parkLink } from "../links.ts";
import { endExpiredPausesNowAndThen } from "../target-pauses.ts";
import { fullJitterDelay } from "./backoff.ts";
import { createCallGate, targetGuardsOf } from "./call-gate.ts";
import { sendFallbacksNowAndThen } from "./fallback.ts";
import { finishOrThrow } from "./handler.ts";
import { JOB_HANDLERS } from "./handlers.ts";
import { DeferJobError, LeaseLostError } from "./job-errors.ts";
import { claimDueJobs, heartbeatJob, type OutboxJob, releaseJobs } from "./store.ts";

export { targetGuardsOf } from "./call-gate.ts";

export type JobOutcome = "done" | "retry" | "parked" | "lease_lost" | "deferred";

export interface DeliverySummary {
  claimed: number;
  done: number;
  retried: number;
  parked: number;
  deferred: number;
  /** Claimed but handed back unstarted because the worker is stopping. */
  released: number;
}

/** What a job works on, read for a whole claim at once by `loadJobContexts`. */
export interface JobContext {
  link: Link;
  snapshot: CaseRecord;
  /** Cases marked duplicates of the link's case, which share its write-backs (ids in order). */
  duplicates: string[];
}

/**
 * The links (and case snapshots) of claimed jobs in one query, for jobs that start right away:
 * saves one or two round trips per job. A job whose link is missing is left out and loads (and
 * fails) on its own.
 */
export async function loadJobContexts(deps: SiltaDeps, jobs: readonly OutboxJob[]): Promise<Map<number, JobContext>> {
  const contexts = new Map<number, JobContext>();
  if (jobs.length === 0) return contexts;
  const rows = await deps.database.db
    .select({
      link: links,
      snapshot: cases.snapshot,
      duplicates: duplicateIdsJson(links.caseId),
    })
    .from(links)
    .innerJoin(cases, eq(cases.id, links.caseId))
    .where(inArray(links.id, [...new Set(jobs.map((job) => job.linkId))]));
  const byLink = new Map(rows.map((row) => [row.link.id, row]));
  for (const job of jobs) {
    const row = byLink.get(job.linkId);
    if (row) contexts.set(job.id, { link: row.link, snapshot: row.snapshot, duplicates: JSON.parse(row.duplicates) as string[] });
  }
  return contexts;
}

async function loadLink(deps: SiltaDeps, job: OutboxJob): Promise<Link> {
  const [link] = await deps.database.db.select().from(links).where(eq(links.id, job.linkId));
  if (!link) throw new SiltaError("internal", `job ${job.id} points at missing link ${job.linkId}`);
  return link;
}

/** Reschedules a retryable failure inside the horizon, parks everything else with its reason. */
async function recordFailure(
  deps: SiltaDeps,
  job: OutboxJob,
  link: Link | null,
  error: SiltaError,
  latencyMs: number,
): Promise<JobOutcome> {
  const now = deps.now();
  const firstAttempt = job.firstAttemptAt ?? now;
  const withinHorizon = now.getTime() - firstAttempt.getTime() < deps.settings.retry.horizonMs;
  const retry = error.retryable && withinHorizon;
  const operation = job.kind === "write_back" ? "write_back" : job.kind;
  const direction = job.kind === "write_back" ? "source_out" : "target_out";
  // An internal error is most often the database's: keep its code and message, never the failed
  // query's text, which repeats its parameters.
  const message = (error.code === "internal" ? describeFailure(error) : error.message).slice(0, 500);
  await deps.database.db.transaction(async (tx) => {
    if (retry) {
      const delay = Math.max(
        fullJitterDelay(job.attempts, deps.settings.retry.baseMs, deps.settings.retry.capMs),
        error.retryAfterMs ?? 0,
      );
      await finishOrThrow(
        tx,
        { deps, job },
        {
          state: "pending",
          runAt: new Date(now.getTime() + delay),
          errorCode: error.code,
          error: message,
          httpStatus: error.httpStatus ?? null,
        },
      );
    } else {
      await finishOrThrow(
        tx,
        { deps, job },
        {
          state: "dead",
          errorCode: error.code,
          error: message,
          httpStatus: error.httpStatus ?? null,
        },
      );
      if (link && job.kind === "create_work_order") await parkLink(tx, link.id, { code: error.code, reason: message });
    }
    await appendLedger(tx, {
      caseId: job.caseId,
      linkId: job.linkId,
      target: job.target,
      direction,
      operation,
      outcome: error.errorClass,
      idempotencyKey: link?.externalRef ?? null,
      errorCode: error.code,
      httpStatus: error.httpStatus ?? null,
      latencyMs,
      attempt: job.attempts,
      detail: retry ? "retry scheduled" : withinHorizon ? "not retryable" : "retry horizon passed",
    });
    if (!retry) {
      await appendLedger(
        tx,
        parkEntry({ ...job, code: error.code, attempt: job.attempts, detail: `${operation}: ${error.code}` }),
      );
    }
    // S7: a create or cancel the target answered (even with an error) reached it.
    if (link && job.kind !== "write_back" && error.httpStatus !== undefined)
      await recordDisclosure(
        tx,
        deliveryDisclosure(deps, link, job.kind === "create_work_order" ? "create" : "cancel", error.code),
      );
  });
  return retry ? "retry" : "parked";
}

/** Runs one claimed job to its next state; logs one line and reports one metric per attempt. */
export async function runJob(deps: SiltaDeps, job: OutboxJob, preloaded?: JobContext): Promise<JobOutcome> {
  const started = Date.now();
  let errorCode: string | null = null;
  const stopHeartbeat = startHeartbeat(deps, job);
  let outcome: JobOutcome;
  try {
    outcome = await attemptJob(
      deps,
      job,
      (code) => {
        errorCode = code;
      },
      preloaded ?? null,
    );
  } finally {
    stopHeartbeat();
  }
  const ms = Date.now() - started;
  deps.metrics.jobAttempt({ kind: job.kind, target: job.target, outcome, errorCode, ms });
  deps.log[outcome === "done" || outcome === "deferred" ? "info" : "warn"](
    {
      jobId: job.id,
      kind: job.kind,
      caseId: job.caseId,
      target: job.target,
      attempt: job.attempts,
      ms,
      outcome,
      code: errorCode,
    },
    "job attempt",
  );
  return outcome;
}

/**
 * Keeps the lease while the job's external call is out (R4): a slow target does not let another
 * worker take the job over and send it a second time. A failed heartbeat (database briefly away)
 * is only logged; the lease check at commit decides.
 */
function startHeartbeat(deps: SiltaDeps, job: OutboxJob): () => void {
  const every = deps.settings.heartbeatMs ?? Math.max(50, Math.floor(deps.settings.leaseMs / 3));
  let finished = false;
  const timer = setInterval(() => {
    heartbeatJob(deps.database, job, deps.settings.workerId, deps.settings.leaseMs).then(
      (held) => {
        // A beat that lands after the job finished finds no running job: that is not a loss.
        if (!held && !finished)
          deps.log.warn({ jobId: job.id, kind: job.kind, target: job.target }, "lease lost while the job was running");
      },
      (error: unknown) =>
        deps.log.warn({ jobId: job.id, err: error instanceof Error ? error.message : String(error) }, "heartbeat failed"),
    );
  }, every);
  return () => {
    finished = true;
    clearInterval(timer);
  };
}

async function attemptJob(
  deps: SiltaDeps,
  job: OutboxJob,
  noteError: (code: string) => void,
  preloaded: JobContext | null,
): Promise<JobOutcome> {
  const started = Date.now();
  let link: Link | null = null;
  const gate = createCallGate(deps, job);
  const settle = (ok: boolean, error: SiltaError | null) => {
    if (!gate.verdict) return;
    targetGuardsOf(deps).settle(
      job.target,
      {
        ok,
        retryable: error?.retryable ?? false,
        retry: job.attempts > 1,
        probe: gate.verdict.probe,
        ...(error?.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      },
      deps.now().getTime(),
    );
    gate.verdict = null;
  };
  try {
    link = preloaded?.link ?? (await loadLink(deps, job));
    await JOB_HANDLERS[job.kind]({
      deps,
      job,
      link,
      gate,
      snapshot: preloaded?.snapshot ?? null,
      duplicates: preloaded?.duplicates ?? null,
    });
    settle(true, null);
    return "done";
  } catch (thrown) {
    if (thrown instanceof DeferJobError) {
      settle(true, null);
      // A little jitter so that a reopening target is not hit by every deferred job at once.
      const runAt = new Date(Math.max(thrown.untilMs, deps.now().getTime()) + Math.floor(Math.random() * 250));
      await releaseJobs(deps.database, [job.id], deps.settings.workerId, runAt);
      noteError(thrown.reason);
      return "deferred";
    }
    if (thrown instanceof LeaseLostError) {
      settle(true, null);
      return "lease_lost";
    }
    const error = toSiltaError(thrown);
    settle(false, error);
    noteError(error.code);
    try {
      return await recordFailure(deps, job, link, error, Date.now() - started);
    } catch (inner) {
      if (inner instanceof LeaseLostError) return "lease_lost";
      throw inner;
    }
  }
}

/** Claims a batch of due jobs and runs them, a few at a time; stops taking new ones when asked to. */
export async function runDueJobs(
  deps: SiltaDeps,
  limit = deps.settings.batchSize,
  options: { shouldStop?: () => boolean } = {},
): Promise<DeliverySummary> {
  const guards = targetGuardsOf(deps);
  await endExpiredPausesNowAndThen(deps);
  await sendFallbacksNowAndThen(deps);
  const jobs = await claimDueJobs(deps.database, deps.settings.workerId, limit, deps.settings.leaseMs, {
    excludeTargets: guards.blockedTargets(deps.now().getTime()),
    perTargetLimit: deps.settings.perTargetBatchLimit,
  });
  const summary: DeliverySummary = { claimed: jobs.length, done: 0, retried: 0, parked: 0, deferred: 0, released: 0 };
  if (jobs.length > 0) deps.crashPoint?.("after_claim");
  let next = 0;
  const lane = async () => {
    while (next < jobs.length && !options.shouldStop?.()) {
      const job = jobs[next++];
      if (!job) break;
      const outcome = await runJob(deps, job);
      if (outcome === "done") summary.done++;
      else if (outcome === "retry") summary.retried++;
      else if (outcome === "parked") summary.parked++;
      else if (outcome === "deferred") summary.deferred++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.settings.concurrency, jobs.length) }, lane));
  if (next < jobs.length) {
    // Stopping: hand back what no lane started, so that another worker takes it at once.
    const unstarted = jobs.slice(next).map((job) => job.id);
    summary.released = await releaseJobs(deps.database, unstarted, deps.settings.workerId);
  }
  return summary;
}
