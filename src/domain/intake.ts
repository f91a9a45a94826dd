import { and, eq, inArray } from "drizzle-orm";
import { cases, links } from "../db/schema/index.ts";
import { canonicalJson, sha256Hex } from "../lib/hash.ts";
import type { CaseRecord } from "../ports/case-system.ts";
import type { SiltaDeps } from "./deps.ts";
import { appendLedger } from "./ledger.ts";
import { enqueueJob } from "./outbox.ts";
import { routeCase } from "./routing.ts";
import { externalRefFor } from "./work-order-payload.ts";

export interface IntakeSummary {
  seen: number;
  new: number;
  updated: number;
  unchanged: number;
  routed: number;
  excluded: number;
  cancelled: number;
}

/**
 * Takes cases read from the case system into Silta. A new case is routed, and its snapshot,
 * link, delivery job and ledger entries are written in one transaction: either all of them
 * exist or none. A changed case updates its snapshot, and a city-side withdrawal queues the
 * cancellation of its work orders. An unchanged case (same content hash) costs one read.
 */
export async function ingestCases(deps: SiltaDeps, records: readonly CaseRecord[]): Promise<IntakeSummary> {
  const summary: IntakeSummary = { seen: records.length, new: 0, updated: 0, unchanged: 0, routed: 0, excluded: 0, cancelled: 0 };
  const { db } = deps.database;
  for (const record of records) {
    const hash = await sha256Hex(canonicalJson(record));
    await db.transaction(async (tx) => {
      const [existing] = await tx
        .select({ hash: cases.snapshotHash, disposition: cases.disposition })
        .from(cases)
        .where(eq(cases.id, record.serviceRequestId))
        .for("update");
      const columns = {
        serviceCode: record.serviceCode,
        status: record.status,
        deskStatus: record.deskStatus,
        worksStatus: record.worksStatus,
        sourceUpdatedAt: record.updatedAt ? new Date(record.updatedAt) : null,
        snapshot: record,
        snapshotHash: hash,
      };
      const caseId = record.serviceRequestId;

      if (!existing) {
        const decision = routeCase(deps.mappings, record);
        await tx.insert(cases).values({
          id: caseId,
          ...columns,
          disposition: decision.kind,
          dispositionReason: decision.kind === "excluded" ? decision.reason : null,
        });
        await appendLedger(tx, {
          caseId,
          direction: "source_in",
          operation: "intake",
          outcome: "ok",
          payloadHash: hash,
          detail: "new",
        });
        summary.new++;
        if (decision.kind === "excluded") {
          await appendLedger(tx, {
            caseId,
            direction: "internal",
            operation: "exclude",
            outcome: "excluded",
            detail: decision.reason,
          });
          summary.excluded++;
          return;
        }
        const externalRef = externalRefFor(deps.mappings.city, caseId, decision.target);
        const [link] = await tx
          .insert(links)
          .values({ caseId, target: decision.target, externalRef })
          .returning({ id: links.id });
        if (!link) throw new Error("link insert returned no row");
        await enqueueJob(tx, {
          kind: "create_work_order",
          dedupeKey: `create:${externalRef}`,
          linkId: link.id,
          caseId,
          target: decision.target,
        });
        await appendLedger(tx, {
          caseId,
          linkId: link.id,
          target: decision.target,
          direction: "internal",
          operation: "route",
          outcome: "ok",
          idempotencyKey: externalRef,
          detail: `rule ${decision.ruleId}`,
        });
        summary.routed++;
        return;
      }

      if (existing.hash === hash) {
        summary.unchanged++;
        return;
      }
      await tx
        .update(cases)
        .set({ ...columns, updatedAt: new Date() })
        .where(eq(cases.id, caseId));
      await appendLedger(tx, {
        caseId,
        direction: "source_in",
        operation: "intake",
        outcome: "ok",
        payloadHash: hash,
        detail: "changed",
      });
      summary.updated++;

      if (existing.disposition === "routed" && record.deskStatus && deps.mappings.cityCancelDeskStatuses.has(record.deskStatus)) {
        const open = await tx
          .update(links)
          .set({ desired: "cancelled", updatedAt: new Date() })
          .where(and(eq(links.caseId, caseId), eq(links.desired, "open"), inArray(links.state, ["pending", "forwarded"])))
          .returning({ id: links.id, target: links.target, externalRef: links.externalRef });
        for (const link of open) {
          await enqueueJob(tx, {
            kind: "cancel_work_order",
            dedupeKey: `cancel:${link.externalRef}`,
            linkId: link.id,
            caseId,
            target: link.target,
          });
          await appendLedger(tx, {
            caseId,
            linkId: link.id,
            target: link.target,
            direction: "internal",
            operation: "cancel_work_order",
            outcome: "queued",
            idempotencyKey: link.externalRef,
            detail: `city desk status ${record.deskStatus}`,
          });
          summary.cancelled++;
        }
      }
    });
  }
  return summary;
}
