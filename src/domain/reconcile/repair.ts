import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { canonicalJson, sha256Hex } from "../../lib/hash.ts";
import type { SiltaDeps } from "../deps.ts";
import { createJobFor, writeBackJobFor } from "../jobs/keys.ts";
import { LOOKUP_FIRST_FLAG } from "../jobs/redrive.ts";
import { enqueueOrRearmJob, requeueCreateLookingUpFirst } from "../jobs/store.ts";
import { appendLedger } from "../ledger.ts";
import { forgetWrittenBack, reopenForDelivery } from "../links.ts";
import type { RepairPlan } from "./finding.ts";
import type { StoredFinding } from "./record-findings.ts";

export type RepairOutcome = "queued" | "skipped";

interface LinkRow extends Record<string, unknown> {
  case_id: string;
  target: string;
  external_ref: string;
}

/**
 * Carries out one safe repair. Nothing is called here: the repair only queues work the engine
 * already knows how to do (a create job, an inbox event, a write-back job), in one transaction
 * with the finding's attempt count and the ledger entry that records it. Every state change is
 * guarded by the state reconciliation saw, so a link that moved meanwhile is left alone.
 */
export async function repairFinding(deps: SiltaDeps, finding: StoredFinding, plan: RepairPlan): Promise<RepairOutcome> {
  const { database } = deps;
  const eventBodyHash =
    plan.action === "repull_status"
      ? sha256Hex(canonicalJson({ linkId: plan.linkId, statusCode: plan.statusCode, workOrderId: plan.workOrderId }))
      : "";
  return database.db.transaction(async (tx) => {
    const claimed = await database.rows(
      sql`update reconciliation_findings set repair_attempts = repair_attempts + 1, last_repair_at = now()
          where id = ${finding.id} and state = 'open' and auto_repairable = 'yes' returning id`,
      tx,
    );
    if (claimed.length === 0) return "skipped";
    let done = false;
    if (plan.action === "resend_create") done = await resendCreate(tx, deps, plan);
    else if (plan.action === "repull_status") done = await repullStatus(tx, deps, plan, eventBodyHash);
    else done = await repostWriteBack(tx, deps, plan);
    return done ? "queued" : "skipped";
  });
}

/** The target lost an unfinished order: the link goes back to delivery, and the create job runs again. */
async function resendCreate(tx: Tx, deps: SiltaDeps, plan: Extract<RepairPlan, { action: "resend_create" }>): Promise<boolean> {
  const link = await reopenForDelivery(deps.database, tx, plan.linkId, plan.observedWorkOrderId);
  if (!link) return false;
  // attempts stays above zero and the job carries the lookup-first flag, so the engine looks the
  // order up by reference before creating (jobs/create-work-order.ts): if the order reappeared
  // meanwhile, it is found, not duplicated.
  await requeueCreateLookingUpFirst(
    tx,
    createJobFor({ id: plan.linkId, caseId: link.case_id, target: link.target, externalRef: link.external_ref }),
    LOOKUP_FIRST_FLAG,
  );
  await appendLedger(tx, {
    caseId: link.case_id,
    linkId: plan.linkId,
    target: link.target,
    direction: "internal",
    operation: "create_work_order",
    outcome: "requeued",
    idempotencyKey: link.external_ref,
    detail: "reconciliation: missing in target",
  });
  return true;
}

/** The target is ahead: its status enters through the inbox, so the forward-only rules and the ledger apply as for any event. */
async function repullStatus(
  tx: Tx,
  deps: SiltaDeps,
  plan: Extract<RepairPlan, { action: "repull_status" }>,
  bodyHash: string,
): Promise<boolean> {
  const [link] = await deps.database.rows<LinkRow>(
    sql`select case_id, target, external_ref from links where id = ${plan.linkId} and state = 'forwarded'`,
    tx,
  );
  if (!link) return false;
  const eventId = `reconcile:${plan.linkId}:${plan.statusCode}`;
  const inserted = await deps.database.rows(
    sql`insert into inbox_events (source, event_id, body_hash, external_ref, work_order_id, status_code, occurred_at, note)
        values (${link.target}, ${eventId}, ${bodyHash}, ${link.external_ref}, ${plan.workOrderId}, ${plan.statusCode}, now(), null)
        on conflict (source, event_id) do nothing
        returning id`,
    tx,
  );
  if (inserted.length === 0) return false;
  await appendLedger(tx, {
    caseId: link.case_id,
    linkId: plan.linkId,
    target: link.target,
    direction: "target_in",
    operation: "field_status",
    outcome: "requeued",
    idempotencyKey: eventId,
    detail: `reconciliation re-pull ${plan.statusCode}`,
  });
  return true;
}

/** The case system lacks the status: forget that it was written, and let the write-back job send it again (same update id). */
async function repostWriteBack(
  tx: Tx,
  deps: SiltaDeps,
  plan: Extract<RepairPlan, { action: "repost_write_back" }>,
): Promise<boolean> {
  const [link] = plan.clearWrittenBack
    ? [await forgetWrittenBack(deps.database, tx, plan.linkId, plan.clearWrittenBack)]
    : await deps.database.rows<LinkRow>(
        sql`select case_id, target, external_ref from links where id = ${plan.linkId} and state = 'forwarded'`,
        tx,
      );
  if (!link) return false;
  await enqueueOrRearmJob(tx, writeBackJobFor({ id: plan.linkId, caseId: link.case_id }));
  await appendLedger(tx, {
    caseId: link.case_id,
    linkId: plan.linkId,
    target: link.target,
    direction: "source_out",
    operation: "write_back",
    outcome: "requeued",
    detail: plan.clearWrittenBack
      ? `reconciliation: case system lacks ${plan.clearWrittenBack}`
      : "reconciliation: never written back",
  });
  return true;
}
