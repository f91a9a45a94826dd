import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { cases, links, outboxJobs } from "../db/schema/index.ts";
import { canonicalJson, sha256Hex } from "../lib/hash.ts";
import type { CaseRecord } from "../ports/case-system.ts";
import type { RemoteWorkOrder } from "../ports/work-order-system.ts";
import { auditAppendCall, deliveryDisclosure, disclosureAudit, recordDisclosure } from "./admin/audit.ts";
import { fullJitterDelay } from "./backoff.ts";
import type { SiltaDeps } from "./deps.ts";
import { ERROR_CODES, SiltaError, toSiltaError } from "./errors.ts";
import { DeferJobError, LeaseLostError } from "./job-errors.ts";
import { appendLedger } from "./ledger.ts";
import { claimDueJobs, finishJob, heartbeatJob, leaseRemainingMs, type OutboxJob, releaseJobs } from "./outbox.ts";
import { withQuickRetry } from "./quick-retry.ts";
import { LOOKUP_FIRST_FLAG } from "./redrive.ts";
import { isTerminal, TERMINAL_STATUSES } from "./status.ts";
import { createTargetGuards, type GuardVerdict, type TargetGuards } from "./target-guard.ts";
import { buildWorkOrderPayload } from "./work-order-payload.ts";
import { writeBackLinkStatus } from "./write-back.ts";

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

/** Guards kept per deps object when the runtime did not create them (tests, the Worker). */
const implicitGuards = new WeakMap<SiltaDeps, TargetGuards>();

/** The process's per-target breaker, budget and Retry-After state. */
export function targetGuardsOf(deps: SiltaDeps): TargetGuards {
  if (deps.targetGuards) return deps.targetGuards;
  let guards = implicitGuards.get(deps);
  if (!guards) {
    guards = createTargetGuards(deps.settings.breaker, deps.settings.budget);
    implicitGuards.set(deps, guards);
  }
  return guards;
}

/**
 * The admission of one attempt to its target: asked right before the first external call, so
 * that a job that needs no call (already confirmed, withdrawn before delivery) never counts as
 * a call or a half-open probe.
 */
interface CallGate {
  /** Throws DeferJobError when the target may not be called now. */
  enter(): void;
  verdict: Extract<GuardVerdict, { allowed: true }> | null;
}

function createCallGate(deps: SiltaDeps, job: OutboxJob): CallGate {
  const gate: CallGate = {
    verdict: null,
    enter() {
      if (gate.verdict) return;
      const verdict = targetGuardsOf(deps).admit(job.target, job.attempts > 1, deps.now().getTime());
      if (!verdict.allowed) throw new DeferJobError(verdict.reason, verdict.until);
      gate.verdict = verdict;
    },
  };
  return gate;
}

type Link = typeof links.$inferSelect;

/** What a job works on, read for a whole claim at once by `loadJobContexts`. */
export interface JobContext {
  link: Link;
  snapshot: CaseRecord;
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
    .select({ link: links, snapshot: cases.snapshot })
    .from(links)
    .innerJoin(cases, eq(cases.id, links.caseId))
    .where(inArray(links.id, [...new Set(jobs.map((job) => job.linkId))]));
  const byLink = new Map(rows.map((row) => [row.link.id, row]));
  for (const job of jobs) {
    const row = byLink.get(job.linkId);
    if (row) contexts.set(job.id, row);
  }
  return contexts;
}

async function loadLink(deps: SiltaDeps, job: OutboxJob): Promise<Link> {
  const [link] = await deps.database.db.select().from(links).where(eq(links.id, job.linkId));
  if (!link) throw new SiltaError("internal", `job ${job.id} points at missing link ${job.linkId}`);
  return link;
}

async function finishOrThrow(tx: Tx, deps: SiltaDeps, job: OutboxJob, next: Parameters<typeof finishJob>[3]): Promise<void> {
  if (!(await finishJob(tx, job, deps.settings.workerId, next))) throw new LeaseLostError(job.id);
}

function targetSystem(deps: SiltaDeps, targetId: string) {
  const system = deps.targets.get(targetId);
  const mapping = deps.mappings.targets.get(targetId);
  if (!system || !mapping) throw new SiltaError("route_missing", `no target "${targetId}" is configured`);
  return { system, mapping };
}

/**
 * Extends the lease right before a create or its lookup goes out and refuses to send unless the
 * lease outlasts the call (R2, R4): a worker whose heartbeats stalled (database restarting,
 * overloaded host) must not send while another may already have taken the job over and sent it.
 */
async function fenceCall(deps: SiltaDeps, job: OutboxJob): Promise<void> {
  const budget = deps.settings.callBudgetMs ?? Math.floor(deps.settings.leaseMs / 3);
  const needed = budget + Math.min(500, budget / 2);
  // Just claimed (or just extended): the lease already outlasts the call, and no other worker
  // can take the job before it runs out. Saves a round trip on nearly every first attempt.
  if (leaseRemainingMs(job, deps.settings.leaseMs) >= needed + budget) return;
  const held = await heartbeatJob(deps.database, job, deps.settings.workerId, deps.settings.leaseMs);
  if (!held) throw new LeaseLostError(job.id);
  const remaining = leaseRemainingMs(job, deps.settings.leaseMs);
  if (remaining < needed) {
    // The lease would run out while the call is out: hand the job back instead of racing.
    throw new DeferJobError("lease_too_short_for_call", deps.now().getTime());
  }
}

/** Quick-retry options for fenced calls: a lost lease or a deferral is not a failure of the target. */
const FENCED = { passThrough: (error: unknown) => error instanceof LeaseLostError || error instanceof DeferJobError };

/** Sends a create; after an earlier attempt that may have taken effect, looks the order up first (R2). */
async function executeCreate(
  deps: SiltaDeps,
  job: OutboxJob,
  link: Link,
  gate: CallGate,
  preloaded: CaseRecord | null,
): Promise<void> {
  const started = Date.now();
  const keyHonoured = deps.settings.keyHonouringTargets.includes(link.target);
  // An attempt before this one may have stored the order: a crash after the send, a timeout or a
  // reset after the commit, a 5xx after the commit, or anything before a re-drive.
  const mayExist = job.attempts > 1 || job.payload[LOOKUP_FIRST_FLAG] === true;
  const lastClass =
    job.lastErrorCode && job.lastErrorCode in ERROR_CODES ? ERROR_CODES[job.lastErrorCode as keyof typeof ERROR_CODES] : null;
  // With a target that de-duplicates by key, a plain retry is safe; look up only when the last
  // outcome is unknown (indeterminate, or a crash left no error).
  const lookUp =
    mayExist && (!keyHonoured || lastClass === null || lastClass === "indeterminate" || job.payload[LOOKUP_FIRST_FLAG] === true);
  if (link.state !== "pending") {
    // Already confirmed (e.g. by a reconciliation) or withdrawn: nothing to send.
    await deps.database.db.transaction(async (tx) => finishOrThrow(tx, deps, job, { state: "done" }));
    return;
  }
  if (link.desired === "cancelled" && mayExist) {
    // Withdrawn while an earlier attempt may have reached the target: find out before forgetting it.
    const { system } = targetSystem(deps, link.target);
    gate.enter();
    const existing = await withQuickRetry(async () => {
      await fenceCall(deps, job);
      return system.findByExternalRef(link.externalRef);
    }, FENCED);
    if (existing) {
      await commitCreated(deps, job, link, existing, {
        started,
        payloadHash: null,
        via: "found after the city withdrew the case",
      });
      return;
    }
  }
  if (link.desired === "cancelled") {
    await deps.database.db.transaction(async (tx) => {
      await finishOrThrow(tx, deps, job, { state: "done" });
      await tx
        .update(links)
        .set({ state: "cancelled", fieldStatus: "cancelled", updatedAt: new Date() })
        .where(eq(links.id, link.id));
      await appendLedger(tx, {
        caseId: link.caseId,
        linkId: link.id,
        target: link.target,
        direction: "internal",
        operation: "create_work_order",
        outcome: "skipped",
        idempotencyKey: link.externalRef,
        attempt: job.attempts,
        detail: "withdrawn by the city before delivery",
      });
    });
    return;
  }
  const { system, mapping } = targetSystem(deps, link.target);
  const snapshot =
    preloaded ??
    (await deps.database.db.select({ snapshot: cases.snapshot }).from(cases).where(eq(cases.id, link.caseId)))[0]?.snapshot;
  if (!snapshot) throw new SiltaError("internal", `link ${link.id} points at missing case`);
  const payload = buildWorkOrderPayload(snapshot, mapping, link.externalRef, deps.media);
  const payloadHash = sha256Hex(canonicalJson(payload));

  let remote: RemoteWorkOrder | null = null;
  let via = "created";
  gate.enter();
  if (lookUp) {
    remote = await withQuickRetry(async () => {
      await fenceCall(deps, job);
      return system.findByExternalRef(link.externalRef);
    }, FENCED);
    if (remote) via = "found by external reference after an earlier attempt";
  }
  if (!remote) {
    remote = await withQuickRetry(
      async () => {
        await fenceCall(deps, job);
        return system.createWorkOrder(payload, link.externalRef);
      },
      {
        // Without key de-duplication only a refusal (429) is surely without effect: anything else
        // goes to a durable retry, which looks the order up first.
        ...FENCED,
        ...(keyHonoured ? {} : { retryWhen: (error: SiltaError) => error.errorClass === "rate_limited" }),
      },
    );
  }
  deps.crashPoint?.("after_target_2xx_before_commit");
  await commitCreated(deps, job, link, remote, { started, payloadHash, via });
}

/**
 * Records a confirmed work order: job done, link forwarded, ledger entry and the write-back job,
 * in one transaction. When the city withdrew the case meanwhile, the cancel is queued (again).
 */
async function commitCreated(
  deps: SiltaDeps,
  job: OutboxJob,
  link: Link,
  found: RemoteWorkOrder,
  facts: { started: number; payloadHash: string | null; via: string },
): Promise<void> {
  const { started, payloadHash, via } = facts;
  // One statement, so one round trip and the shortest hold of the audit chain's lock: the job
  // finishes only if this worker still holds it, and everything else happens only if it did.
  // Lock order as everywhere: this job, then the link, then the link's write-back job.
  const audit = auditAppendCall(disclosureAudit(deliveryDisclosure(deps, link, "create", via))); // S7
  const rearm = sql`on conflict (dedupe_key) do update set state = 'pending', run_at = now(), attempts = 0,
      first_attempt_at = null, finished_at = null, last_error = null, last_error_code = null,
      last_http_status = null, updated_at = now()
    where outbox_jobs.state in ('done', 'dead')`;
  const [result] = await deps.database.rows<{ finished: number }>(sql`
    with finished as (
      update outbox_jobs set state = 'done', lease_owner = null, lease_until = null, finished_at = now(), updated_at = now()
      where id = ${job.id} and state = 'running' and lease_owner = ${deps.settings.workerId}
      returning id
    ), linked as (
      update links set state = 'forwarded', work_order_id = ${found.workOrderId},
        -- A webhook may already have moved the status past sent; never move it back.
        field_status = case when field_status = 'pending' then 'sent' else field_status end,
        field_status_at = coalesce(field_status_at, now()), updated_at = now()
      where id = ${link.id} and exists (select 1 from finished)
      returning desired
    ), ledger as (
      insert into ledger_entries (case_id, link_id, target, direction, operation, outcome, idempotency_key,
        payload_hash, latency_ms, attempt, detail)
      select ${link.caseId}, ${link.id}, ${link.target}, 'target_out', 'create_work_order', 'ok', ${link.externalRef},
        ${payloadHash}, ${Date.now() - started}, ${job.attempts}, ${via}
      from finished
    ), write_back as (
      insert into outbox_jobs (kind, dedupe_key, link_id, case_id, target)
      select 'write_back', ${`writeback:${link.id}`}, ${link.id}, ${link.caseId}, 'case-system' from finished
      ${rearm}
    ), withdraw as (
      -- The cancel that ran while the create was unsettled finished without a call: withdraw now.
      insert into outbox_jobs (kind, dedupe_key, link_id, case_id, target)
      select 'cancel_work_order', ${`cancel:${link.externalRef}`}, ${link.id}, ${link.caseId}, ${link.target}
      from linked where desired = 'cancelled'
      ${rearm}
    ), audited as (
      select ${audit} as seq from finished
    )
    select (select count(*) from finished)::int as finished, (select max(seq) from audited) as audited`);
  if (!result || Number(result.finished) === 0) throw new LeaseLostError(job.id);
}

/** Withdraws a work order the city cancelled; before delivery, simply stops the create. */
async function executeCancel(deps: SiltaDeps, job: OutboxJob, link: Link, gate: CallGate): Promise<void> {
  const started = Date.now();
  if (link.state === "cancelled" || link.state === "parked" || link.state === "rerouted") {
    await deps.database.db.transaction(async (tx) => finishOrThrow(tx, deps, job, { state: "done" }));
    return;
  }
  if (link.state === "pending") {
    const [create] = await deps.database.db
      .select({ state: outboxJobs.state })
      .from(outboxJobs)
      .where(and(eq(outboxJobs.linkId, link.id), eq(outboxJobs.kind, "create_work_order")));
    if (create?.state === "running") {
      // The create is on the wire: wait for its outcome instead of racing it (no call, no attempt).
      throw new DeferJobError("create_in_flight", deps.now().getTime() + 1_000);
    }
    // The create job sees desired = cancelled and finishes the link as cancelled without sending
    // (after looking it up, if an earlier attempt may have stored it). If the create committed
    // since we loaded the link, run again against the forwarded link instead.
    await deps.database.db.transaction(async (tx) => {
      const [current] = await tx.select({ state: links.state }).from(links).where(eq(links.id, link.id)).for("update");
      if (current?.state !== "pending") throw new DeferJobError("create_settled_meanwhile", deps.now().getTime());
      await finishOrThrow(tx, deps, job, { state: "done" });
    });
    return;
  }
  if (isTerminal(link.fieldStatus)) {
    // The crew already finished: there is nothing left to withdraw, and the outcome stays on record.
    await deps.database.db.transaction(async (tx) => {
      await finishOrThrow(tx, deps, job, { state: "done" });
      await appendLedger(tx, {
        caseId: link.caseId,
        linkId: link.id,
        target: link.target,
        direction: "internal",
        operation: "cancel_work_order",
        outcome: "skipped",
        idempotencyKey: link.externalRef,
        attempt: job.attempts,
        detail: `field work already ${link.fieldStatus}`,
      });
    });
    return;
  }
  const { system } = targetSystem(deps, link.target);
  gate.enter();
  await withQuickRetry(() =>
    system.cancelWorkOrder({ workOrderId: link.workOrderId, externalRef: link.externalRef }, "withdrawn by the city"),
  );
  await deps.database.db.transaction(async (tx) => {
    await finishOrThrow(tx, deps, job, { state: "done" });
    await tx
      .update(links)
      .set({
        state: "cancelled",
        // A crew's outcome that arrived while the cancel was out stays: nothing replaces a terminal status.
        fieldStatus: sql`case when ${links.fieldStatus} in (${sql.join(
          [...TERMINAL_STATUSES].map((status) => sql`${status}`),
          sql`, `,
        )}) then ${links.fieldStatus} else 'cancelled' end`,
        updatedAt: new Date(),
      })
      .where(eq(links.id, link.id));
    await appendLedger(tx, {
      caseId: link.caseId,
      linkId: link.id,
      target: link.target,
      direction: "target_out",
      operation: "cancel_work_order",
      outcome: "ok",
      idempotencyKey: link.externalRef,
      latencyMs: Date.now() - started,
      attempt: job.attempts,
    });
    await recordDisclosure(tx, deliveryDisclosure(deps, link, "cancel", "ok")); // S7
  });
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
  const message = error.message.slice(0, 500);
  await deps.database.db.transaction(async (tx) => {
    if (retry) {
      const delay = Math.max(
        fullJitterDelay(job.attempts, deps.settings.retry.baseMs, deps.settings.retry.capMs),
        error.retryAfterMs ?? 0,
      );
      await finishOrThrow(tx, deps, job, {
        state: "pending",
        runAt: new Date(now.getTime() + delay),
        errorCode: error.code,
        error: message,
        httpStatus: error.httpStatus ?? null,
      });
    } else {
      await finishOrThrow(tx, deps, job, {
        state: "dead",
        errorCode: error.code,
        error: message,
        httpStatus: error.httpStatus ?? null,
      });
      if (link && job.kind === "create_work_order") {
        await tx
          .update(links)
          .set({ state: "parked", parkedCode: error.code, parkedReason: message, updatedAt: new Date() })
          .where(and(eq(links.id, link.id), eq(links.state, "pending")));
      }
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
      await appendLedger(tx, {
        caseId: job.caseId,
        linkId: job.linkId,
        target: job.target,
        direction: "internal",
        operation: "park",
        outcome: "parked",
        errorCode: error.code,
        attempt: job.attempts,
        detail: `${operation}: ${error.code}`,
      });
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
    if (job.kind === "create_work_order") await executeCreate(deps, job, link, gate, preloaded?.snapshot ?? null);
    else if (job.kind === "cancel_work_order") await executeCancel(deps, job, link, gate);
    else
      await writeBackLinkStatus(
        deps,
        job,
        link,
        (tx, next) => finishOrThrow(tx, deps, job, next),
        () => gate.enter(),
      );
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
