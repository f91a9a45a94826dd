import { isSiltaError } from "../kernel/errors.ts";
import { writeAudit } from "./admin/audit.ts";
import type { SiltaDeps } from "./deps.ts";

export interface SelfTestResult {
  /** What Silta sent: a synthetic work order, recognisable by its `selftest:` reference and service code TEST. */
  sent: { externalRef: string; serviceRequestId: string; serviceCode: string; title: string };
  /** What came back from the contractor's endpoint. */
  answer:
    | { ok: true; workOrderId: string; statusCode: string; ms: number }
    | { ok: false; errorCode: string; httpStatus: number | null; message: string; ms: number };
}

/**
 * A contractor tests its endpoint before going live: Silta sends it a synthetic work order
 * through the same client and rules as a real one (signature, timeout, outbound guard) and
 * reports what came back. Nothing is stored but the audit row: no case, link, job or ledger
 * entry, so a test never counts as a delivery.
 */
export async function runContractorSelfTest(deps: SiltaDeps, targetId: string): Promise<SelfTestResult | null> {
  const system = deps.targets.get(targetId);
  if (!system) return null;
  const stamp = deps.now().toISOString();
  const sent = {
    externalRef: `selftest:${targetId}:${stamp}`,
    serviceRequestId: `selftest-${stamp}`,
    serviceCode: "TEST",
    title: "Silta self-test: not a real work order",
  };
  const started = Date.now();
  let answer: SelfTestResult["answer"];
  try {
    const order = await system.createWorkOrder(
      { ...sent, description: "A synthetic work order sent at the contractor's request." },
      sent.externalRef,
    );
    answer = { ok: true, workOrderId: order.workOrderId, statusCode: order.statusCode, ms: Date.now() - started };
  } catch (error) {
    answer = isSiltaError(error)
      ? {
          ok: false,
          errorCode: error.code,
          httpStatus: error.httpStatus ?? null,
          message: error.message.slice(0, 300),
          ms: Date.now() - started,
        }
      : { ok: false, errorCode: "internal", httpStatus: null, message: "the call failed", ms: Date.now() - started };
  }
  await deps.database.db.transaction((tx) =>
    writeAudit(tx, {
      actor: `contractor:${targetId}`,
      action: "contractor.self_test",
      subject: `target:${targetId}`,
      detail: {
        ok: answer.ok,
        ...(answer.ok ? {} : { errorCode: answer.errorCode, httpStatus: answer.httpStatus }),
        ms: answer.ms,
      },
      result: answer.ok ? "ok" : "failed",
    }),
  );
  return { sent, answer };
}
