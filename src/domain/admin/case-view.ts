import { and, asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { cases, ledgerEntries, links, outboxJobs } from "../../db/schema/index.ts";
import type { ErrorCode } from "../../kernel/errors.ts";
import type { CanonicalStatus } from "../../kernel/status.ts";
import type { Mappings } from "../../mappings/mappings.ts";
import { type SlaView, slaFor } from "./sla.ts";

/**
 * Where a work order's delivery stands, in the words a handler needs: being sent, failing and
 * retried by Silta, stopped for an admin, delivered (then the field status tells the rest),
 * withdrawn by the city, or handed back and sent on to another contractor.
 */
export type DeliveryPhase = "sending" | "retrying" | "parked" | "delivered" | "cancelled" | "rerouted";

export interface CaseWorkOrderView {
  target: string;
  targetName: string | null;
  phase: DeliveryPhase;
  /** Why the last attempt failed (retrying) or delivery stopped (parked); null otherwise. */
  problem: ErrorCode | null;
  /** When Silta tries again (retrying). */
  nextAttemptAt: string | null;
  /** The contractor that took over after a hand-back (rerouted). */
  reroutedTo: string | null;
  /** 1 for the first delivery; more when the city reopened the case (rework). */
  round: number;
  workOrderId: string | null;
  externalRef: string;
  delivery: string;
  fieldStatus: CanonicalStatus;
  fieldStatusCode: string | null;
  fieldStatusAt: string | null;
  writtenBack: CanonicalStatus | null;
  writtenBackAt: string | null;
  parkedReason: string | null;
  lastSyncedAt: string | null;
  sla: SlaView;
}

export interface CaseTimelineEntry {
  at: string;
  direction: string;
  operation: string;
  target: string | null;
  targetName: string | null;
  outcome: string;
  errorCode: string | null;
  httpStatus: number | null;
  attempt: number | null;
  latencyMs: number | null;
  idempotencyKey: string | null;
  /** Payloads are represented by their hash: the ledger never holds them. */
  payloadHash: string | null;
  detail: string | null;
}

export interface CaseView {
  serviceRequestId: string;
  serviceCode: string;
  /** The service's name as the city's system gives it (not personal data). */
  serviceName: string | null;
  caseStatus: string;
  disposition: string;
  dispositionReason: string | null;
  /** The case whose work order this one shares (a duplicate); its work orders are the ones shown. */
  duplicateOf: string | null;
  workOrders: CaseWorkOrderView[];
  timeline: CaseTimelineEntry[];
  lastSyncedAt: string | null;
}

function latest(...dates: (Date | null | undefined)[]): Date | null {
  let best: Date | null = null;
  for (const d of dates) if (d && (!best || d > best)) best = d;
  return best;
}

/**
 * What a case handler (and an admin) sees of a case: where it went, its field status on each
 * side, its SLA state and every ledger entry in both directions with its time. Ids, codes,
 * hashes and times only: no citizen data (the snapshot is read for the report time alone).
 */
export async function caseView(database: Database, mappings: Mappings, caseId: string, now: Date): Promise<CaseView | null> {
  const { db } = database;
  const [row] = await db.select().from(cases).where(eq(cases.id, caseId));
  if (!row) return null;
  // A duplicate shares its parent's work orders: those are what its handler needs to see.
  const orderCase = row.duplicateOf ?? caseId;
  const caseLinks = await db.select().from(links).where(eq(links.caseId, orderCase)).orderBy(asc(links.id));
  const entries = await db
    .select()
    .from(ledgerEntries)
    .where(eq(ledgerEntries.caseId, caseId))
    .orderBy(asc(ledgerEntries.at), asc(ledgerEntries.id));
  const creates = await db
    .select({ linkId: outboxJobs.linkId, state: outboxJobs.state, code: outboxJobs.lastErrorCode, runAt: outboxJobs.runAt })
    .from(outboxJobs)
    .where(and(eq(outboxJobs.caseId, orderCase), eq(outboxJobs.kind, "create_work_order")));
  const createOf = new Map(creates.map((job) => [job.linkId, job]));
  const nameOf = (id: string | null) => (id ? (mappings.targets.get(id)?.name ?? id) : null);
  const okByLink = new Map<number, Date>();
  for (const e of entries) {
    if (e.outcome !== "ok" || e.linkId == null || e.direction === "internal") continue;
    const seen = okByLink.get(e.linkId);
    if (!seen || e.at > seen) okByLink.set(e.linkId, e.at);
  }
  const workOrders = caseLinks.map((l): CaseWorkOrderView => {
    const target = mappings.targets.get(l.target);
    const synced = latest(okByLink.get(l.id), l.writtenBackAt);
    const create = createOf.get(l.id);
    const retrying = l.state === "pending" && create?.state === "pending" && create.code !== null;
    const phase: DeliveryPhase =
      l.state === "forwarded" ? "delivered" : l.state === "pending" ? (retrying ? "retrying" : "sending") : l.state;
    const next = caseLinks.find((other) => other.id > l.id && other.target !== l.target);
    return {
      target: l.target,
      targetName: target?.name ?? null,
      phase,
      problem: phase === "parked" ? (l.parkedCode ?? create?.code ?? null) : retrying ? (create?.code ?? null) : null,
      nextAttemptAt: retrying ? (create?.runAt.toISOString() ?? null) : null,
      reroutedTo: phase === "rerouted" ? nameOf(next?.target ?? null) : null,
      round: l.round,
      workOrderId: l.workOrderId,
      externalRef: l.externalRef,
      delivery: l.state,
      fieldStatus: l.fieldStatus,
      fieldStatusCode: l.fieldStatusCode,
      fieldStatusAt: l.fieldStatusAt?.toISOString() ?? null,
      writtenBack: l.writtenBackStatus,
      writtenBackAt: l.writtenBackAt?.toISOString() ?? null,
      parkedReason: l.parkedReason,
      lastSyncedAt: synced?.toISOString() ?? null,
      sla: slaFor(target, l, row.snapshot.requestedAt, now, row.serviceCode),
    };
  });
  const lastSynced = latest(...workOrders.map((w) => (w.lastSyncedAt ? new Date(w.lastSyncedAt) : null)));
  return {
    serviceRequestId: row.id,
    serviceCode: row.serviceCode,
    serviceName: row.snapshot.serviceName ?? null,
    caseStatus: row.status,
    disposition: row.disposition,
    dispositionReason: row.dispositionReason,
    duplicateOf: row.duplicateOf,
    workOrders,
    timeline: entries.map((e) => ({
      at: e.at.toISOString(),
      direction: e.direction,
      operation: e.operation,
      target: e.target,
      targetName: nameOf(e.target),
      outcome: e.outcome,
      errorCode: e.errorCode,
      httpStatus: e.httpStatus,
      attempt: e.attempt,
      latencyMs: e.latencyMs,
      idempotencyKey: e.idempotencyKey,
      payloadHash: e.payloadHash,
      detail: e.detail,
    })),
    lastSyncedAt: lastSynced?.toISOString() ?? null,
  };
}
