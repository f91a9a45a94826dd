import { eq } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { links } from "../db/schema/index.ts";
import type { SiltaDeps } from "./deps.ts";
import { appendLedger } from "./ledger.ts";
import { enqueueOrRearmJob, type finishJob, type OutboxJob } from "./outbox.ts";
import { withQuickRetry } from "./quick-retry.ts";

type Link = typeof links.$inferSelect;
type Finish = (tx: Tx, next: Parameters<typeof finishJob>[3]) => Promise<void>;

/** Silta's id for the write-back of one status of one link: repeated sends are one update to the case system. */
export function writeBackUpdateId(linkId: number, status: string): string {
  return `silta-${linkId}-${status}`;
}

/**
 * Writes the link's current field status back to the case: the mapped service-request-update
 * status, the Helsinki public-works code and a citizen-safe note from `mappings/writeback.yaml`
 * (never the crew's free text). One job per link always sends the latest status; if the status
 * moved while this one was on the wire, the job re-arms itself.
 */
export async function writeBackLinkStatus(
  deps: SiltaDeps,
  job: OutboxJob,
  link: Link,
  finish: Finish,
  enterGate: () => void = () => {},
): Promise<void> {
  const started = Date.now();
  const status = link.fieldStatus;
  const mapped = deps.mappings.writeback.statuses[status];
  if (link.state === "pending" || link.state === "parked") {
    // A status event can overtake the create's commit: write back only once the create is
    // confirmed. The create re-arms this job when it commits; if it committed while we looked,
    // re-arm here. (A parked create is re-driven through the same path.)
    await deps.database.db.transaction(async (tx) => {
      // Link first, then the job: the create's commit takes them in the same order (no deadlock).
      const [current] = await tx.select({ state: links.state }).from(links).where(eq(links.id, link.id)).for("update");
      await finish(tx, { state: "done" });
      if (current && current.state !== "pending" && current.state !== "parked") {
        await enqueueOrRearmJob(tx, {
          kind: "write_back",
          dedupeKey: job.dedupeKey,
          linkId: link.id,
          caseId: link.caseId,
          target: job.target,
        });
      }
    });
    return;
  }
  if (!mapped || link.writtenBackStatus === status) {
    await deps.database.db.transaction(async (tx) => finish(tx, { state: "done" }));
    return;
  }
  const updateId = writeBackUpdateId(link.id, status);
  enterGate();
  await withQuickRetry(() =>
    deps.caseSystem.postStatusUpdate({
      serviceRequestId: link.caseId,
      updateId,
      updatedAt: (link.fieldStatusAt ?? deps.now()).toISOString(),
      status: mapped.open311,
      description: mapped.note[deps.mappings.writeback.locale],
      externalStatusCode: mapped.works,
    }),
  );
  deps.crashPoint?.("before_write_back_commit");
  await deps.database.db.transaction(async (tx) => {
    // Link first, then the job: applying a field event locks them in this order too, and the
    // opposite order deadlocks against it (PostgreSQL then aborts one side after a second).
    const [current] = await tx
      .update(links)
      .set({ writtenBackStatus: status, writtenBackAt: new Date(), updatedAt: new Date() })
      .where(eq(links.id, link.id))
      .returning({ fieldStatus: links.fieldStatus });
    await finish(tx, { state: "done" });
    await appendLedger(tx, {
      caseId: link.caseId,
      linkId: link.id,
      target: link.target,
      direction: "source_out",
      operation: "write_back",
      outcome: "ok",
      idempotencyKey: updateId,
      latencyMs: Date.now() - started,
      attempt: job.attempts,
      detail: `${status} as ${mapped.works}`,
    });
    if (current && current.fieldStatus !== status) {
      await enqueueOrRearmJob(tx, {
        kind: "write_back",
        dedupeKey: job.dedupeKey,
        linkId: link.id,
        caseId: link.caseId,
        target: job.target,
      });
    }
  });
}
