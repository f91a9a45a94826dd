import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Database, Tx } from "../db/client.ts";
import { links } from "../db/schema/index.ts";
import type { ErrorCode } from "../kernel/errors.ts";
import { type CanonicalStatus, TERMINAL_STATUSES } from "../kernel/status.ts";
import { FINISHED_STATUSES } from "./admin/sla.ts";

/**
 * The only writer of `links`: a link is one case's work order at one target, and its state
 * machine (pending → forwarded | parked | cancelled | rerouted; desired open → cancelled; field
 * status forward only; written-back status) moves only through the functions here. Callers
 * write the ledger rows beside them in the same transaction. One-statement commits take the
 * `…Sql` fragments, so that they stay one round trip.
 */

export type Link = typeof links.$inferSelect;

export interface NewLink {
  caseId: string;
  target: string;
  externalRef: string;
  /** The work cycle at this target: 1 at routing, one more per rework. */
  round?: number;
}

/**
 * Adds links (routing, rework); returns the ones added with their ids. A (case, target, round)
 * that exists already (another process opened the same cycle) is not added twice.
 */
export async function insertLinks(tx: Tx, rows: readonly NewLink[]): Promise<(NewLink & { id: number; round: number })[]> {
  if (rows.length === 0) return [];
  return tx
    .insert(links)
    .values(rows.map(({ caseId, target, externalRef, round }) => ({ caseId, target, externalRef, round: round ?? 1 })))
    .onConflictDoNothing()
    .returning({ id: links.id, caseId: links.caseId, target: links.target, externalRef: links.externalRef, round: links.round });
}

/**
 * The case's finished work, one link per target: its latest round, delivered (forwarded), with a
 * field outcome that ends the work (completed, no action, …). Rework opens the next round of
 * these; work still under way needs none (the crew is on it).
 */
export async function latestFinishedLinks(tx: Tx, caseId: string): Promise<Link[]> {
  // A case has a handful of links: all of them, locked, and the latest round per target picked here.
  const all = await tx.select().from(links).where(eq(links.caseId, caseId)).orderBy(links.target, links.round).for("update");
  const latest = new Map<string, Link>();
  for (const link of all) if (link.state !== "rerouted") latest.set(link.target, link);
  // Finished work only: a hand-back or a cancellation leaves nothing to redo.
  return [...latest.values()].filter((link) => link.state === "forwarded" && FINISHED_STATUSES.includes(link.fieldStatus));
}

/** The city withdrew the case: its open links are to be cancelled. Returns the links that changed. */
export async function requestCancellation(tx: Tx, caseId: string): Promise<(NewLink & { id: number })[]> {
  return tx
    .update(links)
    .set({ desired: "cancelled", updatedAt: new Date() })
    .where(and(eq(links.caseId, caseId), eq(links.desired, "open"), inArray(links.state, ["pending", "forwarded"])))
    .returning({ id: links.id, caseId: links.caseId, target: links.target, externalRef: links.externalRef });
}

/** Withdrawn before delivery: nothing reached the target. */
export async function cancelBeforeDelivery(tx: Tx, linkId: number): Promise<void> {
  await tx.update(links).set({ state: "cancelled", fieldStatus: "cancelled", updatedAt: new Date() }).where(eq(links.id, linkId));
}

/** The target confirmed the cancel; a crew's outcome that arrived meanwhile stays (nothing replaces a terminal status). */
export async function cancelAfterWithdrawal(tx: Tx, linkId: number): Promise<void> {
  await tx
    .update(links)
    .set({
      state: "cancelled",
      fieldStatus: sql`case when ${links.fieldStatus} in (${sql.join(
        [...TERMINAL_STATUSES].map((status) => sql`${status}`),
        sql`, `,
      )}) then ${links.fieldStatus} else 'cancelled' end`,
      updatedAt: new Date(),
    })
    .where(eq(links.id, linkId));
}

/**
 * The `update` that records the work order `workOrderId` of a link when `onlyIf` (a condition on
 * the statement's other CTEs) holds; returns `desired`. The contractor's webhook can overtake the
 * create's answer, so events may already have moved the link: its field status never moves back,
 * and only a pending link becomes forwarded (a hand-back applied meanwhile left it re-routed or
 * parked, and it stays so).
 */
export function forwardLinkSql(linkId: number, workOrderId: string, onlyIf: SQL): SQL {
  return sql`update links set state = case when state = 'pending' then 'forwarded' else state end, work_order_id = ${workOrderId},
        field_status = case when field_status = 'pending' then 'sent' else field_status end,
        field_status_at = coalesce(field_status_at, now()), updated_at = now()
      where id = ${linkId} and ${onlyIf}
      returning desired`;
}

/** Locks the link for a write-back commit; `moved` says whether its field status is no longer `status`. */
export function lockForWriteBackSql(linkId: number, status: string): SQL {
  return sql`select id, field_status is distinct from ${status} as moved from links where id = ${linkId} for update`;
}

/** The `update` that records `status` as written back to the case when `onlyIf` holds; returns the id. */
export function recordWrittenBackSql(linkId: number, status: string, onlyIf: SQL): SQL {
  return sql`update links set written_back_status = ${status}, written_back_at = now(), updated_at = now()
      where id = ${linkId} and ${onlyIf}
      returning id`;
}

/** Parks a link with its reason (only from `pending` unless `fromAnyState`); true when it changed. */
export async function parkLink(
  tx: Tx,
  linkId: number,
  why: { code: ErrorCode; reason: string },
  options: { fromAnyState?: boolean } = {},
): Promise<boolean> {
  const parked = await tx
    .update(links)
    .set({ state: "parked", parkedCode: why.code, parkedReason: why.reason, updatedAt: new Date() })
    .where(options.fromAnyState ? eq(links.id, linkId) : and(eq(links.id, linkId), eq(links.state, "pending")))
    .returning({ id: links.id });
  return parked.length > 0;
}

/** A re-driven create: its parked link is in delivery again. */
export async function unparkLink(tx: Tx, linkId: number): Promise<void> {
  await tx
    .update(links)
    .set({ state: "pending", parkedCode: null, parkedReason: null, updatedAt: new Date() })
    .where(and(eq(links.id, linkId), eq(links.state, "parked")));
}

/** The target handed the case back: this link is done, a new one takes over. */
export async function markRerouted(tx: Tx, linkId: number): Promise<void> {
  await tx.update(links).set({ state: "rerouted", updatedAt: new Date() }).where(eq(links.id, linkId));
}

export interface FieldStatusChange {
  fieldStatus: CanonicalStatus;
  fieldStatusCode: string | null;
  fieldStatusAt: Date | null;
  workOrderId: string | null;
}

/** Applies one field status, guarded by the status it was judged against (forward-only, no lost update). */
export async function applyFieldStatus(tx: Tx, link: Link, change: FieldStatusChange): Promise<void> {
  await tx
    .update(links)
    .set({
      fieldStatus: change.fieldStatus,
      fieldStatusCode: change.fieldStatusCode,
      fieldStatusAt: change.fieldStatusAt,
      workOrderId: sql`coalesce(${links.workOrderId}, ${change.workOrderId})`,
      updatedAt: new Date(),
    })
    .where(and(eq(links.id, link.id), eq(links.fieldStatus, link.fieldStatus)));
}

/** Applies many links' field statuses in one statement (their rows locked by the caller). */
export async function applyFieldStatuses(tx: Tx, changes: readonly (FieldStatusChange & { id: number })[]): Promise<void> {
  if (changes.length === 0) return;
  const rows = changes.map((l) => ({
    id: l.id,
    field_status: l.fieldStatus,
    code: l.fieldStatusCode,
    at: l.fieldStatusAt?.toISOString() ?? null,
    work_order_id: l.workOrderId,
  }));
  await tx.execute(sql`
    update links set field_status = v.field_status, field_status_code = v.code, field_status_at = v.at,
      work_order_id = coalesce(links.work_order_id, v.work_order_id), updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as v(id bigint, field_status text, code text, at timestamptz, work_order_id text)
    where links.id = v.id`);
}

type LinkRow = {
  case_id: string;
  target: string;
  external_ref: string;
};

/**
 * Reconciliation: the target lost an unfinished order, so the link goes back to delivery. Only
 * while it is still forwarded to the order that was observed missing and the crew has not finished.
 */
export async function reopenForDelivery(
  database: Database,
  tx: Tx,
  linkId: number,
  observedWorkOrderId: string | null,
): Promise<LinkRow | undefined> {
  const [link] = await database.rows<LinkRow>(
    sql`update links set state = 'pending', updated_at = now()
        where id = ${linkId} and state = 'forwarded' and desired = 'open'
          and work_order_id is not distinct from ${observedWorkOrderId}
          and field_status not in (${sql.join(
            [...TERMINAL_STATUSES].map((status) => sql`${status}`),
            sql`, `,
          )})
        returning case_id, target, external_ref`,
    tx,
  );
  return link;
}

/** Reconciliation: the case system lacks a status Silta wrote, so it is written again. */
export async function forgetWrittenBack(
  database: Database,
  tx: Tx,
  linkId: number,
  writtenBackStatus: string,
): Promise<LinkRow | undefined> {
  const [link] = await database.rows<LinkRow>(
    sql`update links set written_back_status = null, written_back_at = null, updated_at = now()
        where id = ${linkId} and written_back_status = ${writtenBackStatus}
        returning case_id, target, external_ref`,
    tx,
  );
  return link;
}

/** Retention: drops the parked reasons (error text that may echo case text) of the cases' links. */
export async function scrubParkedReasons(database: Database, tx: Tx, caseIds: SQL): Promise<number> {
  const rows = await database.rows(
    sql`update links set parked_reason = null where case_id in (${caseIds}) and parked_reason is not null returning id`,
    tx,
  );
  return rows.length;
}

/**
 * A duplicate joined the case: its forwarded links forget what they wrote back, so that the next
 * write-back sends the current status again (to the case, idempotently, and to every duplicate).
 */
export async function forgetWrittenBackOfCase(tx: Tx, caseId: string): Promise<{ id: number; caseId: string }[]> {
  return tx
    .update(links)
    .set({ writtenBackStatus: null, writtenBackAt: null, updatedAt: new Date() })
    .where(and(eq(links.caseId, caseId), eq(links.state, "forwarded")))
    .returning({ id: links.id, caseId: links.caseId });
}

/** The next round number for a case at a target (1 when it has none): a re-routed duplicate starts a fresh cycle. */
export async function nextRound(tx: Tx, caseId: string, target: string): Promise<number> {
  const rows = await tx
    .select({ round: links.round })
    .from(links)
    .where(and(eq(links.caseId, caseId), eq(links.target, target)));
  return rows.reduce((max, row) => Math.max(max, row.round), 0) + 1;
}
