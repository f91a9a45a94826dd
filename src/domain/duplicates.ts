import { type AnyColumn, and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { cases, links } from "../db/schema/index.ts";
import { TERMINAL_STATUSES } from "../kernel/status.ts";
import type { CaseRecord } from "../ports/case-system.ts";
import { writeAudit } from "./admin/audit.ts";
import type { SiltaDeps } from "./deps.ts";
import { queueCancellations } from "./intake/ingest.ts";
import { createJobFor, writeBackJobFor } from "./jobs/keys.ts";
import { enqueueJobs, enqueueOrRearmJobs } from "./jobs/store.ts";
import { appendLedger } from "./ledger.ts";
import { forgetWrittenBackOfCase, insertLinks, nextRound } from "./links.ts";
import { routeCase } from "./routing.ts";
import { externalRefFor } from "./work-order-payload.ts";

/**
 * Duplicates (one of the writers of `cases`: its `duplicate_of` and the disposition a link or an
 * unlink changes). A duplicate shares its parent's work order instead of getting its own: no
 * second crew is sent, its own open work orders are withdrawn, and the parent's field status is
 * written back to it too (jobs/write-back.ts). Chains collapse to the root: a duplicate of a
 * duplicate shares the first case's order. Unlinking gives the case its own order again.
 */

export type LinkOutcome = "linked" | "already" | "parent_unknown" | "self";

/** The root a case would share: the parent, or the parent's own parent; null when Silta does not know the parent. */
async function rootOf(tx: Tx, parentId: string): Promise<string | null> {
  const [parent] = await tx.select({ id: cases.id, duplicateOf: cases.duplicateOf }).from(cases).where(eq(cases.id, parentId));
  return parent ? (parent.duplicateOf ?? parent.id) : null;
}

async function hasWorkUnderWay(tx: Tx, caseId: string): Promise<boolean> {
  const open = await tx
    .select({ fieldStatus: links.fieldStatus })
    .from(links)
    .where(and(eq(links.caseId, caseId), inArray(links.state, ["pending", "forwarded"])));
  return open.some((link) => !TERMINAL_STATUSES.has(link.fieldStatus));
}

/** Marks a case a duplicate of `parentId`, in the caller's transaction. */
export async function linkDuplicate(tx: Tx, caseId: string, parentId: string, why: string): Promise<LinkOutcome> {
  const root = await rootOf(tx, parentId);
  if (root === null) return "parent_unknown";
  if (root === caseId) return "self";
  const [current] = await tx
    .select({ duplicateOf: cases.duplicateOf, disposition: cases.disposition })
    .from(cases)
    .where(eq(cases.id, caseId))
    .for("update");
  if (!current) return "parent_unknown";
  if (current.duplicateOf === root) return "already";
  await tx.update(cases).set({ duplicateOf: root, updatedAt: new Date() }).where(eq(cases.id, caseId));
  // Its duplicates follow it to the root: one level, always.
  await tx.update(cases).set({ duplicateOf: root, updatedAt: new Date() }).where(eq(cases.duplicateOf, caseId));
  // Its own crew is called off, unless its work is already finished (then there is nothing to stop).
  if (current.disposition === "routed" && (await hasWorkUnderWay(tx, caseId)))
    await queueCancellations(tx, caseId, `duplicate of ${root}: shares its work order`);
  await appendLedger(tx, {
    caseId,
    direction: "internal",
    operation: "merge",
    outcome: "ok",
    detail: `duplicate of ${root}: ${why}`,
  });
  // The root's current status goes to the new duplicate with the root's next write-back.
  const rearm = await forgetWrittenBackOfCase(tx, root);
  await enqueueOrRearmJobs(tx, rearm.map(writeBackJobFor));
  return "linked";
}

/**
 * Unlinks a duplicate: it gets its own work order again, routed as a new case would be (a fresh
 * round where it had links before), or excluded with the routing's reason.
 */
export async function unlinkDuplicate(tx: Tx, deps: SiltaDeps, caseId: string, why: string): Promise<boolean> {
  const [row] = await tx
    .select({ duplicateOf: cases.duplicateOf, snapshot: cases.snapshot })
    .from(cases)
    .where(eq(cases.id, caseId))
    .for("update");
  if (!row?.duplicateOf) return false;
  const record: CaseRecord = row.snapshot;
  const decision = routeCase(deps.mappings, record, { closedMeansResolved: deps.source?.profile.closedMeans === "resolved" });
  await tx
    .update(cases)
    .set({
      duplicateOf: null,
      disposition: decision.kind,
      dispositionReason: decision.kind === "excluded" ? decision.reason : null,
      updatedAt: new Date(),
    })
    .where(eq(cases.id, caseId));
  await appendLedger(tx, {
    caseId,
    direction: "internal",
    operation: "merge",
    outcome: "ok",
    detail: `no longer a duplicate of ${row.duplicateOf}: ${why}`,
  });
  if (decision.kind === "excluded") {
    await appendLedger(tx, { caseId, direction: "internal", operation: "exclude", outcome: "excluded", detail: decision.reason });
    return true;
  }
  const round = await nextRound(tx, caseId, decision.target);
  const [link] = await insertLinks(tx, [
    { caseId, target: decision.target, round, externalRef: externalRefFor(deps.mappings.city, caseId, decision.target, round) },
  ]);
  if (link) {
    await enqueueJobs(tx, [createJobFor(link)]);
    await appendLedger(tx, {
      caseId,
      linkId: link.id,
      target: link.target,
      direction: "internal",
      operation: "route",
      outcome: "ok",
      idempotencyKey: link.externalRef,
      detail: `rule ${decision.ruleId} (unlinked from a duplicate)`,
    });
  }
  return true;
}

/**
 * The duplicates of a case (a value or a column), in id order, as JSON text: both drivers read it
 * alike, whatever the ids hold. The claim's context read embeds it (jobs/lifecycle.ts).
 */
export function duplicateIdsJson(caseId: AnyColumn | string): SQL<string> {
  return sql<string>`coalesce((select json_agg(d.id order by d.id) from ${cases} d where d.duplicate_of = ${caseId})::text, '[]')`;
}

/** The duplicates that share a case's work order, for the write-back's fan-out. */
export async function duplicatesOf(deps: SiltaDeps, caseId: string): Promise<string[]> {
  const [row] = await deps.database.rows<{ ids: string }>(sql`select ${duplicateIdsJson(caseId)} as ids`);
  return JSON.parse(row?.ids ?? "[]") as string[];
}

/** A handler links or unlinks a case on its page; audited either way. */
export async function handlerSetsDuplicate(
  deps: SiltaDeps,
  actor: string,
  caseId: string,
  parentId: string | null,
): Promise<{ ok: boolean; result: string }> {
  return deps.database.db.transaction(async (tx) => {
    const [exists] = await tx.select({ id: cases.id }).from(cases).where(eq(cases.id, caseId));
    const result = !exists
      ? "not_found"
      : parentId === null
        ? (await unlinkDuplicate(tx, deps, caseId, "a handler unlinked it"))
          ? "unlinked"
          : "not_a_duplicate"
        : await linkDuplicate(tx, caseId, parentId, "a handler linked it");
    await writeAudit(tx, {
      actor,
      action: parentId === null ? "case.unlink_duplicate" : "case.link_duplicate",
      subject: `case:${caseId}`,
      detail: { parent: parentId },
      result,
    });
    return { ok: result === "linked" || result === "unlinked", result };
  });
}
