import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { toSiltaError } from "../../kernel/errors.ts";
import { isTerminal, judgeTransition } from "../../kernel/status.ts";
import type { TargetMapping } from "../../mappings/mappings.ts";
import type { RemoteWorkOrder, WorkOrderSystem } from "../../ports/work-order-system.ts";
import type { SiltaDeps } from "../deps.ts";
import { type Finding, keepFinding, type ObservedFindings, unknownOrderSubject } from "./finding.ts";
import {
  mapBounded,
  OPEN_LINK_COLUMNS,
  type OpenLink,
  type OpenLinkRow,
  openLinkCondition,
  openLinkIdPages,
  openLinkPages,
  openLinksById,
  toOpenLink,
} from "./open-links.ts";

export interface TargetCheck extends ObservedFindings {
  /** Targets that could not be read completely: their earlier findings stay as they are. */
  failedTargets: Map<string, string>;
  /** Targets read by listing (so orders Silta does not know could be found) and by lookups. */
  listed: string[];
  lookedUp: number;
}

/** Lookups at once per target when it cannot list: enough to be quick, few enough to be polite. */
const LOOKUP_CONCURRENCY = 8;
/** Stop paging a target that keeps answering with more: a broken cursor must not loop forever. */
const MAX_PAGES = 100_000;

/**
 * Compares every forwarded link with its target. A target that can list its work orders is read
 * page by page (and every order no link explains is reported); otherwise each link is looked up
 * by its external reference. Links that are still being delivered are not compared: their
 * create is in flight, not missing. Both ways hold one page of links or orders at a time.
 */
export async function checkTargets(deps: SiltaDeps, recentMs: number, pageSize: number): Promise<TargetCheck> {
  const result: TargetCheck = { findings: [], observed: new Map(), failedTargets: new Map(), listed: [], lookedUp: 0 };
  for (const [targetId, system] of deps.targets) {
    const mapping = deps.mappings.targets.get(targetId);
    if (!mapping) continue;
    // A target that fails part-way keeps its earlier findings as they are: what its first pages showed is dropped.
    const part: TargetCheck = { findings: [], observed: new Map(), failedTargets: new Map(), listed: [], lookedUp: 0 };
    try {
      if (system.listWorkOrders) {
        await compareByListing(deps.database, system, mapping, recentMs, pageSize, part);
        result.listed.push(targetId);
      } else {
        await compareByLookup(deps.database, system, mapping, recentMs, pageSize, part);
      }
      result.findings.push(...part.findings);
      for (const [id, link] of part.observed) result.observed.set(id, link);
      result.lookedUp += part.lookedUp;
    } catch (error) {
      const failure = toSiltaError(error);
      result.failedTargets.set(targetId, failure.code);
      deps.log.warn({ target: targetId, code: failure.code }, "reconciliation could not read target");
    }
  }
  return result;
}

/** A link found by the reference of a listed order; `comparable` when it is open and forwarded. */
interface ListedLink extends OpenLink {
  comparable: boolean;
}

/**
 * Reads the target's list page by page and looks up each page's references in `links`. An order
 * whose work order id is its link's is that link's; any other order for a known reference waits
 * (rare: duplicates, or a create whose id Silta has not stored yet) until the list is read, when
 * the first one stands in for a link no matching order was found for and the rest are strays.
 * Forwarded links the list never showed are missing, unless they changed after the list was first
 * asked for (their orders may have been created after the pages that would have held them).
 */
async function compareByListing(
  database: Database,
  system: WorkOrderSystem,
  mapping: TargetMapping,
  recentMs: number,
  pageSize: number,
  result: TargetCheck,
): Promise<void> {
  const listWorkOrders = system.listWorkOrders?.bind(system);
  if (!listWorkOrders) return;
  const [clock] = await database.rows<{ now: string }>(sql`select now()::text as now`);
  const listedSince = clock?.now ?? new Date().toISOString();
  const matched = new Set<number>();
  const waiting = new Map<number, { link: ListedLink; orders: RemoteWorkOrder[] }>();
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await listWorkOrders(cursor);
    const byRef = await linksByRef(database, mapping.id, recentMs, answer.items, pageSize);
    for (const order of answer.items) {
      const link = byRef.get(order.externalRef);
      if (!link) {
        result.findings.push(unknownOrder(mapping.id, order, "no link has this reference"));
      } else if (link.workOrderId !== null && order.workOrderId === link.workOrderId) {
        // The same order twice is a list that shifted while it was paged, not a duplicate.
        if (matched.has(link.id)) continue;
        matched.add(link.id);
        if (link.comparable) keepFinding(result, link, compareOne(mapping, link, order));
      } else {
        const held = waiting.get(link.id);
        if (!held) waiting.set(link.id, { link, orders: [order] });
        else if (!held.orders.some((o) => o.workOrderId === order.workOrderId)) held.orders.push(order);
      }
    }
    if (answer.nextCursor === null || answer.nextCursor === cursor) break;
    cursor = answer.nextCursor;
  }
  for (const [id, { link, orders }] of waiting) {
    const strays = matched.has(id) ? orders : orders.slice(1);
    const standIn = matched.has(id) ? null : (orders[0] ?? null);
    if (standIn && link.comparable) keepFinding(result, link, compareOne(mapping, link, standIn));
    for (const order of strays) {
      result.findings.push(unknownOrder(mapping.id, order, `a second work order for ${link.externalRef}`));
    }
  }
  const unseen = { target: mapping.id, state: "forwarded", where: sql`l.updated_at < ${listedSince}::timestamptz` } as const;
  // Ids only: nearly every link was seen, and reading each one whole cost more than the list on PGlite.
  for await (const ids of openLinkIdPages(database, recentMs, unseen, pageSize)) {
    const missed = ids.filter((id) => !matched.has(id) && !waiting.has(id));
    for (const link of await openLinksById(database, recentMs, unseen, missed))
      keepFinding(result, link, compareOne(mapping, link, null));
  }
}

/**
 * The links (of any state) that hold the references of one page of orders. The references go as
 * one JSON array, and the target is checked here: with a list of 1,000 parameters, or with the
 * target in the query, the planner (without statistics) read the target's whole slice of the
 * (target, state, id) index for every page instead of probing the unique reference index.
 */
async function linksByRef(
  database: Database,
  targetId: string,
  recentMs: number,
  orders: readonly RemoteWorkOrder[],
  chunk: number,
): Promise<Map<string, ListedLink>> {
  const byRef = new Map<string, ListedLink>();
  const refs = [...new Set(orders.map((order) => order.externalRef))];
  for (let i = 0; i < refs.length; i += chunk) {
    const rows = await database.rows<OpenLinkRow & { comparable: boolean }>(sql`
      select ${OPEN_LINK_COLUMNS}, (l.state = 'forwarded' and ${openLinkCondition(recentMs)}) as comparable
      from links l
      where l.external_ref in (select jsonb_array_elements_text(${JSON.stringify(refs.slice(i, i + chunk))}::jsonb))`);
    for (const row of rows) {
      if (row.target === targetId) byRef.set(row.external_ref, { ...toOpenLink(row), comparable: row.comparable });
    }
  }
  return byRef;
}

async function compareByLookup(
  database: Database,
  system: WorkOrderSystem,
  mapping: TargetMapping,
  recentMs: number,
  pageSize: number,
  result: TargetCheck,
): Promise<void> {
  for await (const links of openLinkPages(database, recentMs, { target: mapping.id, state: "forwarded" }, pageSize)) {
    const found = await mapBounded(links, LOOKUP_CONCURRENCY, (link) => system.findByExternalRef(link.externalRef));
    for (const [index, link] of links.entries()) keepFinding(result, link, compareOne(mapping, link, found[index] ?? null));
    result.lookedUp += links.length;
  }
}

function unknownOrder(target: string, order: RemoteWorkOrder, why: string): Finding {
  return {
    kind: "missing_in_source",
    subject: unknownOrderSubject(target, order.workOrderId),
    linkId: null,
    caseId: null,
    target,
    detail: { workOrderId: order.workOrderId, externalRef: order.externalRef, targetStatus: order.statusCode, why },
    suggestedAction: `Work order ${order.workOrderId} at ${target} is not Silta's (${why}): check it with the target and cancel it there if it is a stray or a duplicate.`,
    repair: null,
  };
}

/** One link against what its target holds for its reference (null: nothing). */
export function compareOne(mapping: TargetMapping, link: OpenLink, order: RemoteWorkOrder | null): Finding | null {
  const base = { linkId: link.id, caseId: link.caseId, target: link.target, subject: link.externalRef };
  if (!order) {
    const finished = isTerminal(link.fieldStatus);
    return {
      ...base,
      kind: "missing_in_target",
      detail: { externalRef: link.externalRef, workOrderId: link.workOrderId, linkStatus: link.fieldStatus },
      suggestedAction: finished
        ? `${mapping.id} no longer holds the finished work order ${link.workOrderId ?? link.externalRef}: ask them to restore it (their records and invoicing need it); do not re-send, the work is done.`
        : `${mapping.id} lost work order ${link.workOrderId ?? link.externalRef}: re-send the create (Silta looks it up by reference first, so a re-send cannot duplicate).`,
      repair: finished ? null : { action: "resend_create", linkId: link.id, observedWorkOrderId: link.workOrderId },
    };
  }
  const canonical = mapping.inbound.get(order.statusCode) ?? null;
  if (canonical === link.fieldStatus) return null;
  const detail = {
    externalRef: link.externalRef,
    workOrderId: order.workOrderId,
    side: "target",
    targetStatusCode: order.statusCode,
    targetStatus: canonical,
    linkStatus: link.fieldStatus,
  };
  if (!canonical) {
    return {
      ...base,
      kind: "status_differs",
      detail,
      suggestedAction: `${mapping.id} reports status code ${order.statusCode}, which has no mapping: add it to the target's status table in mappings/status/.`,
      repair: null,
    };
  }
  if (judgeTransition(link.fieldStatus, canonical).apply) {
    return {
      ...base,
      kind: "status_differs",
      detail,
      suggestedAction: `${mapping.id} is ahead (${canonical}, Silta has ${link.fieldStatus}; a status event was lost): re-pull the status.`,
      repair: { action: "repull_status", linkId: link.id, statusCode: order.statusCode, workOrderId: order.workOrderId },
    };
  }
  return {
    ...base,
    kind: "status_differs",
    detail,
    suggestedAction: `${mapping.id} shows ${canonical} where Silta confirmed ${link.fieldStatus}; statuses never move back, so ask ${mapping.id} which is right and correct it on their side.`,
    repair: null,
  };
}
