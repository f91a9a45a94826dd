import { and, desc, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { links, outboxJobs } from "../../db/schema/index.ts";

export type DeliveryLogState = "failed" | "pending";

export interface DeliveryLogEntry {
  workOrderId: string;
  kind: "create_work_order" | "cancel_work_order";
  state: "dead" | "pending" | "running";
  attempts: number;
  lastErrorCode: string | null;
  lastHttpStatus: number | null;
  queuedAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
}

/**
 * A contractor's own delivery log: its failed (dead-lettered) or pending work-order deliveries.
 * Ids, codes and times only: no payloads, no error text (it may quote a remote answer).
 */
export async function listContractorDeliveries(
  database: Database,
  target: string,
  state: DeliveryLogState,
  limit = 100,
): Promise<DeliveryLogEntry[]> {
  const rows = await database.db
    .select({ job: outboxJobs, externalRef: links.externalRef })
    .from(outboxJobs)
    .innerJoin(links, eq(links.id, outboxJobs.linkId))
    .where(
      and(
        eq(outboxJobs.target, target),
        inArray(outboxJobs.kind, ["create_work_order", "cancel_work_order"]),
        state === "failed" ? eq(outboxJobs.state, "dead") : inArray(outboxJobs.state, ["pending", "running"]),
      ),
    )
    .orderBy(desc(outboxJobs.updatedAt), desc(outboxJobs.id))
    .limit(Math.min(limit, 500));
  return rows.map(({ job, externalRef }) => ({
    workOrderId: externalRef,
    kind: job.kind as DeliveryLogEntry["kind"],
    state: job.state as DeliveryLogEntry["state"],
    attempts: job.attempts,
    lastErrorCode: job.lastErrorCode,
    lastHttpStatus: job.lastHttpStatus,
    queuedAt: job.createdAt.toISOString(),
    lastAttemptAt: job.attempts > 0 ? job.updatedAt.toISOString() : null,
    nextAttemptAt: job.state === "pending" ? job.runAt.toISOString() : null,
  }));
}
