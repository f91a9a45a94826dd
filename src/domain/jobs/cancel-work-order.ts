import { and, eq } from "drizzle-orm";
import { links, outboxJobs } from "../../db/schema/index.ts";
import { isTerminal } from "../../kernel/status.ts";
import { deliveryDisclosure, recordDisclosure } from "../admin/audit.ts";
import { appendLedger } from "../ledger.ts";
import { cancelAfterWithdrawal } from "../links.ts";
import { finishOrThrow, type JobRun, targetSystem } from "./handler.ts";
import { DeferJobError } from "./job-errors.ts";
import { withQuickRetry } from "./quick-retry.ts";

/** Withdraws a work order the city cancelled; before delivery, simply stops the create. */
export async function cancelWorkOrder(run: JobRun): Promise<void> {
  const { deps, job, link, gate } = run;
  const started = Date.now();
  if (link.state === "cancelled" || link.state === "parked" || link.state === "rerouted") {
    await deps.database.db.transaction(async (tx) => finishOrThrow(tx, run, { state: "done" }));
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
      await finishOrThrow(tx, run, { state: "done" });
    });
    return;
  }
  if (isTerminal(link.fieldStatus)) {
    // The crew already finished: there is nothing left to withdraw, and the outcome stays on record.
    await deps.database.db.transaction(async (tx) => {
      await finishOrThrow(tx, run, { state: "done" });
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
    await finishOrThrow(tx, run, { state: "done" });
    await cancelAfterWithdrawal(tx, link.id);
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
