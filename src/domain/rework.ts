import { eq } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { cases } from "../db/schema/index.ts";
import type { Mappings } from "../mappings/mappings.ts";
import { writeAudit } from "./admin/audit.ts";
import type { SiltaDeps } from "./deps.ts";
import { createJobFor } from "./jobs/keys.ts";
import { enqueueJobs } from "./jobs/store.ts";
import { appendLedger } from "./ledger.ts";
import { insertLinks, latestFinishedLinks } from "./links.ts";
import { externalRefFor } from "./work-order-payload.ts";

/** Why a new cycle was opened. */
export type ReworkCause = "reopened" | "not_fixed" | "handler";

const CAUSE_TEXT: Record<ReworkCause, string> = {
  reopened: "the case was reopened at the source",
  not_fixed: "the case system marked it not fixed",
  handler: "a handler asked for rework",
};

/**
 * Opens the next work cycle at each target whose latest work on the case is finished: a new
 * link (round + 1, its own reference `…:r<round>`, so its create is a new work order and never a
 * replay of the old one) and its create job, in the caller's transaction. Each cycle is
 * forward-only within itself; the earlier round keeps its outcome. Work still under way gets no
 * new cycle (the crew is on it). Returns the rounds opened.
 */
export async function openReworkCycles(
  tx: Tx,
  mappings: Mappings,
  caseId: string,
  cause: ReworkCause,
): Promise<{ target: string; round: number; linkId: number }[]> {
  const finished = await latestFinishedLinks(tx, caseId);
  const opened = await insertLinks(
    tx,
    finished.map((link) => ({
      caseId,
      target: link.target,
      round: link.round + 1,
      externalRef: externalRefFor(mappings.city, caseId, link.target, link.round + 1),
    })),
  );
  if (opened.length === 0) return [];
  await enqueueJobs(tx, opened.map(createJobFor));
  await appendLedger(
    tx,
    opened.map((link) => ({
      caseId,
      linkId: link.id,
      target: link.target,
      direction: "internal" as const,
      operation: "rework" as const,
      outcome: "ok",
      idempotencyKey: link.externalRef,
      detail: `round ${link.round}: ${CAUSE_TEXT[cause]}`,
    })),
  );
  return opened.map((link) => ({ target: link.target, round: link.round, linkId: link.id }));
}

/**
 * A handler asks for the case's finished work to be done again (the case page's button): opens
 * the next cycle where the latest work is finished, and audits the request either way.
 */
export async function requestRework(
  deps: SiltaDeps,
  actor: string,
  caseId: string,
): Promise<{ ok: boolean; result: "opened" | "nothing_finished" | "not_found"; rounds: number[] }> {
  return deps.database.db.transaction(async (tx) => {
    const [row] = await tx.select({ disposition: cases.disposition }).from(cases).where(eq(cases.id, caseId));
    const opened = row?.disposition === "routed" ? await openReworkCycles(tx, deps.mappings, caseId, "handler") : [];
    const result = !row ? "not_found" : opened.length > 0 ? "opened" : "nothing_finished";
    await writeAudit(tx, {
      actor,
      action: "case.rework",
      subject: `case:${caseId}`,
      detail: { cycles: opened.map((o) => ({ target: o.target, round: o.round })) },
      result,
    });
    return { ok: opened.length > 0, result, rounds: opened.map((o) => o.round) };
  });
}
