import { and, eq, sql } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { cases, links, outboxJobs } from "../db/schema/index.ts";
import { canonicalJson, sha256Hex } from "../lib/hash.ts";
import type { RemoteWorkOrder } from "../ports/work-order-system.ts";
import { fullJitterDelay } from "./backoff.ts";
import type { SiltaDeps } from "./deps.ts";
import { SiltaError, toSiltaError } from "./errors.ts";
import { appendLedger } from "./ledger.ts";
import { claimDueJobs, enqueueOrRearmJob, finishJob, type OutboxJob } from "./outbox.ts";
import { withQuickRetry } from "./quick-retry.ts";
import { isTerminal } from "./status.ts";
import { buildWorkOrderPayload } from "./work-order-payload.ts";
import { writeBackLinkStatus } from "./write-back.ts";

/** Thrown inside a transaction when another worker took the job over: rolls the transaction back. */
export class LeaseLostError extends Error {
  constructor(jobId: number) {
    super(`lease on job ${jobId} was lost to another worker`);
    this.name = "LeaseLostError";
  }
}

export type JobOutcome = "done" | "retry" | "parked" | "lease_lost";

export interface DeliverySummary {
  claimed: number;
  done: number;
  retried: number;
  parked: number;
}

type Link = typeof links.$inferSelect;

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

/** Sends a create; after an earlier attempt that may have taken effect, looks the order up first (R2). */
async function executeCreate(deps: SiltaDeps, job: OutboxJob, link: Link): Promise<void> {
  const started = Date.now();
  if (link.state !== "pending") {
    // Already confirmed (e.g. by a reconciliation) or withdrawn: nothing to send.
    await deps.database.db.transaction(async (tx) => finishOrThrow(tx, deps, job, { state: "done" }));
    return;
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
  const [caseRow] = await deps.database.db.select({ snapshot: cases.snapshot }).from(cases).where(eq(cases.id, link.caseId));
  if (!caseRow) throw new SiltaError("internal", `link ${link.id} points at missing case`);
  const payload = buildWorkOrderPayload(caseRow.snapshot, mapping, link.externalRef);
  const payloadHash = await sha256Hex(canonicalJson(payload));

  let remote: RemoteWorkOrder | null = null;
  let via = "created";
  if (job.attempts > 1) {
    remote = await withQuickRetry(() => system.findByExternalRef(link.externalRef));
    if (remote) via = "found by external reference after an earlier attempt";
  }
  if (!remote) remote = await withQuickRetry(() => system.createWorkOrder(payload, link.externalRef));
  const found = remote;

  await deps.database.db.transaction(async (tx) => {
    await finishOrThrow(tx, deps, job, { state: "done" });
    await tx
      .update(links)
      .set({
        state: "forwarded",
        workOrderId: found.workOrderId,
        // A webhook may already have moved the status past `sent`; never move it back.
        fieldStatus: sql`case when ${links.fieldStatus} = 'pending' then 'sent' else ${links.fieldStatus} end`,
        fieldStatusAt: sql`coalesce(${links.fieldStatusAt}, now())`,
        updatedAt: new Date(),
      })
      .where(eq(links.id, link.id));
    await appendLedger(tx, {
      caseId: link.caseId,
      linkId: link.id,
      target: link.target,
      direction: "target_out",
      operation: "create_work_order",
      outcome: "ok",
      idempotencyKey: link.externalRef,
      payloadHash,
      latencyMs: Date.now() - started,
      attempt: job.attempts,
      detail: via,
    });
    await enqueueOrRearmJob(tx, {
      kind: "write_back",
      dedupeKey: `writeback:${link.id}`,
      linkId: link.id,
      caseId: link.caseId,
      target: "case-system",
    });
  });
}

/** Withdraws a work order the city cancelled; before delivery, simply stops the create. */
async function executeCancel(deps: SiltaDeps, job: OutboxJob, link: Link): Promise<void> {
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
      // The create is on the wire: wait for its outcome instead of racing it.
      throw new SiltaError("target_unavailable", "create still in flight; cancel waits for it", { retryAfterMs: 1_000 });
    }
    // The create job sees desired = cancelled and finishes the link as cancelled without sending.
    await deps.database.db.transaction(async (tx) => finishOrThrow(tx, deps, job, { state: "done" }));
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
  await withQuickRetry(() =>
    system.cancelWorkOrder({ workOrderId: link.workOrderId, externalRef: link.externalRef }, "withdrawn by the city"),
  );
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
      direction: "target_out",
      operation: "cancel_work_order",
      outcome: "ok",
      idempotencyKey: link.externalRef,
      latencyMs: Date.now() - started,
      attempt: job.attempts,
    });
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
  });
  return retry ? "retry" : "parked";
}

/** Runs one claimed job to its next state; logs one line and reports one metric per attempt. */
export async function runJob(deps: SiltaDeps, job: OutboxJob): Promise<JobOutcome> {
  const started = Date.now();
  let errorCode: string | null = null;
  const outcome = await attemptJob(deps, job, (code) => {
    errorCode = code;
  });
  const ms = Date.now() - started;
  deps.metrics.jobAttempt({ kind: job.kind, target: job.target, outcome, errorCode, ms });
  deps.log[outcome === "done" ? "info" : "warn"](
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

async function attemptJob(deps: SiltaDeps, job: OutboxJob, noteError: (code: string) => void): Promise<JobOutcome> {
  const started = Date.now();
  let link: Link | null = null;
  try {
    link = await loadLink(deps, job);
    if (job.kind === "create_work_order") await executeCreate(deps, job, link);
    else if (job.kind === "cancel_work_order") await executeCancel(deps, job, link);
    else await writeBackLinkStatus(deps, job, link, (tx, next) => finishOrThrow(tx, deps, job, next));
    return "done";
  } catch (thrown) {
    if (thrown instanceof LeaseLostError) return "lease_lost";
    const error = toSiltaError(thrown);
    noteError(error.code);
    try {
      return await recordFailure(deps, job, link, error, Date.now() - started);
    } catch (inner) {
      if (inner instanceof LeaseLostError) return "lease_lost";
      throw inner;
    }
  }
}

/** Claims a batch of due jobs and runs them, a few at a time. */
export async function runDueJobs(deps: SiltaDeps, limit = deps.settings.batchSize): Promise<DeliverySummary> {
  const jobs = await claimDueJobs(deps.database, deps.settings.workerId, limit, deps.settings.leaseMs);
  const summary: DeliverySummary = { claimed: jobs.length, done: 0, retried: 0, parked: 0 };
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      if (!job) break;
      const outcome = await runJob(deps, job);
      if (outcome === "done") summary.done++;
      else if (outcome === "retry") summary.retried++;
      else if (outcome === "parked") summary.parked++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.settings.concurrency, jobs.length) }, lane));
  return summary;
}
