import { and, eq, inArray } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { links, outboxJobs } from "../../db/schema/index.ts";
import type { SiltaDeps } from "../deps.ts";
import { requeueStoppedJob } from "../jobs/redrive.ts";
import { acknowledgeJobFailure, lockJob, makeJobDueNow, markJobSkipped } from "../jobs/store.ts";
import { appendLedger, parkEntry } from "../ledger.ts";
import { parkLink } from "../links.ts";
import { type ActionResult, type Actor, boundedNote } from "./actor.ts";
import { writeAudit } from "./audit.ts";
import { type FailureFilter, failureCondition } from "./failures.ts";
import { type PayloadPreview, previewJobPayload } from "./payload-preview.ts";

type Job = typeof outboxJobs.$inferSelect;

async function refuse(tx: Tx, actor: Actor, action: string, subject: string, message: string, result = "not_applicable") {
  await writeAudit(tx, { actor, action, subject, detail: { reason: message }, result });
  return { ok: false, subject, result, message };
}

/**
 * "Retry now": a job waiting for its next backoff slot runs at once. Only pending jobs qualify
 * (a running one is on the wire; a dead one needs a replay, which is a deliberate decision).
 */
export async function retryJobNow(deps: SiltaDeps, actor: Actor, jobId: number): Promise<ActionResult> {
  const subject = `job:${jobId}`;
  return deps.database.db.transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job) return refuse(tx, actor, "job.retry", subject, "no such job", "not_found");
    if (job.state !== "pending")
      return refuse(tx, actor, "job.retry", subject, `the job is ${job.state}; only a pending job can be retried now`);
    await makeJobDueNow(tx, jobId);
    await writeAudit(tx, {
      actor,
      action: "job.retry",
      subject,
      detail: { kind: job.kind, target: job.target, attempts: job.attempts },
      result: "scheduled_now",
    });
    return { ok: true, subject, result: "scheduled_now", message: "the job runs at the worker's next round" };
  });
}

/**
 * Re-arms a dead or skipped job (replay). Attempts stay at least 1, so the worker's next claim
 * makes it ≥ 2 and a create first looks the work order up by its external reference before
 * sending (jobs/create-work-order.ts): a replay can never make a second work order (R2). A
 * parked link goes back to pending, so the ledger's balance sees it in flight again.
 */
async function replayInTx(tx: Tx, actor: Actor, jobId: number): Promise<ActionResult> {
  const subject = `job:${jobId}`;
  const job = await lockJob(tx, jobId);
  if (!job) return refuse(tx, actor, "job.replay", subject, "no such job", "not_found");
  if (job.state !== "dead" && job.state !== "skipped") {
    return refuse(tx, actor, "job.replay", subject, `the job is ${job.state}; only dead or skipped jobs are replayed`);
  }
  // The retry horizon starts again: the admin decided this is worth another 72 hours.
  const requeued = await requeueStoppedJob(tx, job, {
    attempts: "keep_at_least_one",
    outcome: "requeued",
    detail: "replayed by an admin",
  });
  if (!requeued) return refuse(tx, actor, "job.replay", subject, "the job changed meanwhile; look again");
  await writeAudit(tx, {
    actor,
    action: "job.replay",
    subject,
    detail: { kind: job.kind, target: job.target, caseId: job.caseId, from: job.state, errorCode: job.lastErrorCode },
    result: "requeued",
  });
  return { ok: true, subject, result: "requeued", message: "the job is queued again; the worker sends it at its next round" };
}

/** Replays one dead or skipped job; see replayInTx. */
export async function replayJob(deps: SiltaDeps, actor: Actor, jobId: number): Promise<ActionResult> {
  return deps.database.db.transaction((tx) => replayInTx(tx, actor, jobId));
}

export interface ReplayPlanItem {
  jobId: number;
  caseId: string;
  target: string;
  kind: Job["kind"];
  errorCode: string | null;
  attempts: number;
  /** What would be sent (dry run only). */
  payload?: PayloadPreview;
}

export interface BulkReplayResult {
  dryRun: boolean;
  matched: number;
  items: ReplayPlanItem[];
  results: ActionResult[];
}

/**
 * Bulk replay of dead letters, chosen by ids or by the failures filter (e.g. every
 * `target_auth_failed` of one target after its credential was fixed). With `dryRun` nothing
 * changes and each item shows the payload that would be sent.
 */
export async function replayJobs(
  deps: SiltaDeps,
  actor: Actor,
  selection: { jobIds?: number[]; filter?: FailureFilter; dryRun: boolean; limit?: number },
): Promise<BulkReplayResult> {
  const limit = Math.min(selection.limit ?? 200, 1000);
  const deadOrSkipped = inArray(outboxJobs.state, ["dead", "skipped"]);
  const where = selection.jobIds
    ? and(deadOrSkipped, inArray(outboxJobs.id, selection.jobIds.length > 0 ? selection.jobIds : [-1]))
    : and(deadOrSkipped, failureCondition({ ...selection.filter, state: undefined }, deps.now()));
  const rows = await deps.database.db
    .select({ job: outboxJobs })
    .from(outboxJobs)
    .leftJoin(links, eq(links.id, outboxJobs.linkId))
    .where(where)
    .orderBy(outboxJobs.id)
    .limit(limit);
  const items: ReplayPlanItem[] = rows.map(({ job }) => ({
    jobId: job.id,
    caseId: job.caseId,
    target: job.target,
    kind: job.kind,
    errorCode: job.lastErrorCode,
    attempts: job.attempts,
  }));
  if (selection.dryRun) {
    for (const item of items)
      item.payload = await previewJobPayload(deps, {
        kind: item.kind,
        linkId: rows.find((r) => r.job.id === item.jobId)?.job.linkId ?? -1,
        target: item.target,
      });
    await deps.database.db.transaction((tx) =>
      writeAudit(tx, {
        actor,
        action: "job.replay_dry_run",
        subject: selection.jobIds ? `jobs:${items.map((i) => i.jobId).join(",")}`.slice(0, 200) : "jobs:filter",
        detail: { filter: selection.filter ?? null, matched: items.length },
        result: "previewed",
      }),
    );
    return { dryRun: true, matched: items.length, items, results: [] };
  }
  const results: ActionResult[] = [];
  for (const item of items) results.push(await replayJob(deps, actor, item.jobId));
  return { dryRun: false, matched: items.length, items, results };
}

/**
 * Marks a job skipped: an admin decided it will not be sent. A create's link is parked with
 * that reason (and a park entry), so the case stays accounted for in the ledger's balance.
 */
export async function skipJob(deps: SiltaDeps, actor: Actor, jobId: number, note: string | null): Promise<ActionResult> {
  const subject = `job:${jobId}`;
  const text = boundedNote(note);
  return deps.database.db.transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job) return refuse(tx, actor, "job.skip", subject, "no such job", "not_found");
    if (job.state !== "dead" && job.state !== "pending") {
      return refuse(tx, actor, "job.skip", subject, `the job is ${job.state}; only a pending or dead job can be skipped`);
    }
    await markJobSkipped(tx, jobId);
    if (job.kind === "create_work_order") {
      const parked = await parkLink(tx, job.linkId, { code: "skipped_by_admin", reason: "skipped by an admin" });
      if (parked) {
        await appendLedger(
          tx,
          parkEntry({
            ...job,
            code: "skipped_by_admin",
            attempt: job.attempts,
            detail: "create_work_order: skipped by an admin",
          }),
        );
      }
    }
    await writeAudit(tx, {
      actor,
      action: "job.skip",
      subject,
      detail: { kind: job.kind, target: job.target, from: job.state, note: text },
      result: "skipped",
    });
    return { ok: true, subject, result: "skipped", message: "the job will not be sent" };
  });
}

/**
 * Acknowledges a failure: it stays where it is, but alarms and the overview's open count leave
 * it out until `until` (no expiry: until it changes). Note and expiry are shown beside it.
 */
export async function acknowledgeJob(
  deps: SiltaDeps,
  actor: Actor,
  jobId: number,
  input: { note: string; until: Date | null },
): Promise<ActionResult> {
  const subject = `job:${jobId}`;
  const note = boundedNote(input.note);
  return deps.database.db.transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job) return refuse(tx, actor, "job.acknowledge", subject, "no such job", "not_found");
    if (!(job.state === "dead" || (job.state === "pending" && job.lastErrorCode))) {
      return refuse(tx, actor, "job.acknowledge", subject, `the job is ${job.state} without a failure to acknowledge`);
    }
    if (!note) return refuse(tx, actor, "job.acknowledge", subject, "a note is required", "invalid");
    await acknowledgeJobFailure(tx, jobId, { actor, note, until: input.until });
    await writeAudit(tx, {
      actor,
      action: "job.acknowledge",
      subject,
      detail: { kind: job.kind, target: job.target, note, until: input.until?.toISOString() ?? null },
      result: "acknowledged",
    });
    return {
      ok: true,
      subject,
      result: "acknowledged",
      message: input.until ? `silenced until ${input.until.toISOString()}` : "acknowledged",
    };
  });
}
