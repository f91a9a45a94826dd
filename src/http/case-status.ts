import { asc, eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { cases, ledgerEntries, links } from "../db/schema/index.ts";

/**
 * What a case handler needs to see of a case: where it went, its field status on each side,
 * and every hop with its time. Ids, codes and times only: no citizen data.
 */
export async function caseFieldStatus(database: Database, caseId: string) {
  const { db } = database;
  const [row] = await db
    .select({
      id: cases.id,
      serviceCode: cases.serviceCode,
      status: cases.status,
      disposition: cases.disposition,
      reason: cases.dispositionReason,
    })
    .from(cases)
    .where(eq(cases.id, caseId));
  if (!row) return null;
  const caseLinks = await db.select().from(links).where(eq(links.caseId, caseId)).orderBy(asc(links.id));
  const timeline = await db.select().from(ledgerEntries).where(eq(ledgerEntries.caseId, caseId)).orderBy(asc(ledgerEntries.id));
  return {
    serviceRequestId: row.id,
    serviceCode: row.serviceCode,
    caseStatus: row.status,
    disposition: row.disposition,
    dispositionReason: row.reason,
    workOrders: caseLinks.map((l) => ({
      target: l.target,
      workOrderId: l.workOrderId,
      externalRef: l.externalRef,
      delivery: l.state,
      fieldStatus: l.fieldStatus,
      fieldStatusCode: l.fieldStatusCode,
      fieldStatusAt: l.fieldStatusAt?.toISOString() ?? null,
      writtenBack: l.writtenBackStatus,
      writtenBackAt: l.writtenBackAt?.toISOString() ?? null,
      parkedReason: l.parkedReason,
    })),
    timeline: timeline.map((e) => ({
      at: e.at.toISOString(),
      direction: e.direction,
      operation: e.operation,
      target: e.target,
      outcome: e.outcome,
      errorCode: e.errorCode,
      httpStatus: e.httpStatus,
      attempt: e.attempt,
      detail: e.detail,
    })),
  };
}
