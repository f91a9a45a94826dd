import { eq } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { cases } from "../../db/schema/index.ts";
import { SiltaError } from "../../kernel/errors.ts";
import type { CaseRecord } from "../../ports/case-system.ts";
import type { SiltaDeps } from "../deps.ts";
import type { Link } from "../links.ts";
import type { CallGate } from "./call-gate.ts";
import { DeferJobError, LeaseLostError } from "./job-errors.ts";
import { finishJob, heartbeatJob, leaseRemainingMs, type OutboxJob } from "./store.ts";

/** One attempt of one claimed job, as its kind's handler sees it. */
export interface JobRun {
  deps: SiltaDeps;
  job: OutboxJob;
  link: Link;
  /** Admission to the target: entered right before the first external call. */
  gate: CallGate;
  /** The case snapshot when the claim loaded it with the link (creates). */
  snapshot: CaseRecord | null;
  /** The case's duplicates when the claim loaded them with the link (write-backs); null: read them. */
  duplicates: string[] | null;
}

/**
 * What one job kind does in one attempt: its calls and its commit. It throws to fail (the
 * lifecycle retries or parks by the error's class), DeferJobError to hand the job back without
 * an attempt, LeaseLostError when its commit found the job taken over.
 */
export type JobHandler = (run: JobRun) => Promise<void>;

/** Moves the job to its next state in the caller's transaction, or throws LeaseLostError. */
export async function finishOrThrow(
  tx: Tx,
  run: Pick<JobRun, "deps" | "job">,
  next: Parameters<typeof finishJob>[3],
): Promise<void> {
  if (!(await finishJob(tx, run.job, run.deps.settings.workerId, next))) throw new LeaseLostError(run.job.id);
}

/** The target's client and mapping, or `route_missing`. */
export function targetSystem(deps: SiltaDeps, targetId: string) {
  const system = deps.targets.get(targetId);
  const mapping = deps.mappings.targets.get(targetId);
  if (!system || !mapping) throw new SiltaError("route_missing", `no target "${targetId}" is configured`);
  return { system, mapping };
}

/** The case snapshot of the run's link (loaded with the claim, or read now). */
export async function snapshotOf(run: JobRun): Promise<CaseRecord> {
  const snapshot =
    run.snapshot ??
    (await run.deps.database.db.select({ snapshot: cases.snapshot }).from(cases).where(eq(cases.id, run.link.caseId)))[0]
      ?.snapshot;
  if (!snapshot) throw new SiltaError("internal", `link ${run.link.id} points at missing case`);
  return snapshot;
}

/**
 * Extends the lease right before a create or its lookup goes out and refuses to send unless the
 * lease outlasts the call (R2, R4): a worker whose heartbeats stalled (database restarting,
 * overloaded host) must not send while another may already have taken the job over and sent it.
 */
export async function fenceCall(deps: SiltaDeps, job: OutboxJob): Promise<void> {
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
export const FENCED = { passThrough: (error: unknown) => error instanceof LeaseLostError || error instanceof DeferJobError };
