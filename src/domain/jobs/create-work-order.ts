import { sql } from "drizzle-orm";
import { ERROR_CODES } from "../../kernel/errors.ts";
import { canonicalJson, sha256Hex } from "../../lib/hash.ts";
import type { RemoteWorkOrder } from "../../ports/work-order-system.ts";
import { auditAppendCall, deliveryDisclosure, disclosureAudit } from "../admin/audit.ts";
import { appendLedger, appendLedgerFromSql } from "../ledger.ts";
import { cancelBeforeDelivery, forwardLinkSql } from "../links.ts";
import { buildWorkOrderPayload } from "../work-order-payload.ts";
import { FENCED, fenceCall, finishOrThrow, type JobRun, snapshotOf, targetSystem } from "./handler.ts";
import { LeaseLostError } from "./job-errors.ts";
import { cancelJobFor, writeBackJobFor } from "./keys.ts";
import { commitOutcome } from "./outcome-commits.ts";
import { withQuickRetry } from "./quick-retry.ts";
import { LOOKUP_FIRST_FLAG } from "./redrive.ts";
import { enqueueOrRearmFromSql, finishJobDoneSql } from "./store.ts";

/** Sends a create; after an earlier attempt that may have taken effect, looks the order up first (R2). */
export async function createWorkOrder(run: JobRun): Promise<void> {
  const { deps, job, link, gate } = run;
  const started = Date.now();
  const keyHonoured = deps.mappings.targets.get(link.target)?.policy.honoursIdempotencyKey ?? false;
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
    await deps.database.db.transaction(async (tx) => finishOrThrow(tx, run, { state: "done" }));
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
      await commitCreated(run, existing, { started, payloadHash: null, via: "found after the city withdrew the case" });
      return;
    }
  }
  if (link.desired === "cancelled") {
    await deps.database.db.transaction(async (tx) => {
      await finishOrThrow(tx, run, { state: "done" });
      await cancelBeforeDelivery(tx, link.id);
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
  const snapshot = await snapshotOf(run);
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
        ...(keyHonoured ? {} : { retryWhen: (error) => error.errorClass === "rate_limited" }),
      },
    );
  }
  deps.crashPoint?.("after_target_2xx_before_commit");
  await commitCreated(run, remote, { started, payloadHash, via });
}

/**
 * Records a confirmed work order: job done, link forwarded, ledger entry and the write-back job,
 * in one transaction. When the city withdrew the case meanwhile, the cancel is queued (again).
 */
async function commitCreated(
  run: JobRun,
  found: RemoteWorkOrder,
  facts: { started: number; payloadHash: string | null; via: string },
): Promise<void> {
  const { deps, job, link } = run;
  const { started, payloadHash, via } = facts;
  // One statement, committed with whatever other outcomes are waiting (outcome-commits.ts): the
  // job finishes only if this worker still holds it, and everything else happens only if it did.
  // Lock order as everywhere: this job, then the link, then the link's write-back job.
  const audit = auditAppendCall(disclosureAudit(deliveryDisclosure(deps, link, "create", via))); // S7
  const [result] = await commitOutcome<{ finished: number }>(
    deps.database,
    sql`
    with finished as (
      ${finishJobDoneSql(job.id, deps.settings.workerId)}
    ), linked as (
      ${forwardLinkSql(link.id, found.workOrderId, sql`exists (select 1 from finished)`)}
    ), ledger as (
      ${appendLedgerFromSql(
        {
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
        },
        sql`from finished`,
      )}
    ), write_back as (
      ${enqueueOrRearmFromSql(writeBackJobFor(link), sql`from finished`)}
    ), withdraw as (
      -- The cancel that ran while the create was unsettled finished without a call: withdraw now.
      ${enqueueOrRearmFromSql(cancelJobFor(link), sql`from linked where desired = 'cancelled'`)}
    ), audited as (
      select ${audit} as seq from finished
    )
    select (select count(*) from finished)::int as finished, (select max(seq) from audited) as audited`,
  );
  if (!result || Number(result.finished) === 0) throw new LeaseLostError(job.id);
}
