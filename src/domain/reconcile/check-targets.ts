import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import type { TargetMapping } from "../../mappings/mappings.ts";
import type { RemoteWorkOrder, WorkOrderSystem } from "../../ports/work-order-system.ts";
import type { SiltaDeps } from "../deps.ts";
import { toSiltaError } from "../errors.ts";
import { isTerminal, judgeTransition } from "../status.ts";
import { type Finding, unknownOrderSubject } from "./finding.ts";
import { mapBounded, type OpenLink } from "./open-links.ts";

export interface TargetCheck {
  findings: Finding[];
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
 * create is in flight, not missing.
 */
export async function checkTargets(deps: SiltaDeps, openLinks: readonly OpenLink[]): Promise<TargetCheck> {
  const result: TargetCheck = { findings: [], failedTargets: new Map(), listed: [], lookedUp: 0 };
  const byTarget = new Map<string, OpenLink[]>();
  for (const link of openLinks) {
    if (link.state !== "forwarded") continue;
    const list = byTarget.get(link.target) ?? [];
    list.push(link);
    byTarget.set(link.target, list);
  }
  for (const [targetId, system] of deps.targets) {
    const mapping = deps.mappings.targets.get(targetId);
    const links = byTarget.get(targetId) ?? [];
    if (!mapping) continue;
    try {
      if (system.listWorkOrders) {
        await compareByListing(deps.database, system, mapping, links, result);
        result.listed.push(targetId);
      } else {
        await compareByLookup(system, mapping, links, result);
        result.lookedUp += links.length;
      }
    } catch (error) {
      const failure = toSiltaError(error);
      result.failedTargets.set(targetId, failure.code);
      deps.log.warn({ target: targetId, code: failure.code }, "reconciliation could not read target");
    }
  }
  return result;
}

async function compareByListing(
  database: Database,
  system: WorkOrderSystem,
  mapping: TargetMapping,
  links: readonly OpenLink[],
  result: TargetCheck,
): Promise<void> {
  const listWorkOrders = system.listWorkOrders?.bind(system);
  if (!listWorkOrders) return;
  const held = new Map<string, RemoteWorkOrder[]>();
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await listWorkOrders(cursor);
    for (const order of answer.items) {
      const list = held.get(order.externalRef);
      if (list) list.push(order);
      else held.set(order.externalRef, [order]);
    }
    if (answer.nextCursor === null || answer.nextCursor === cursor) break;
    cursor = answer.nextCursor;
  }
  const open = new Set<string>();
  for (const link of links) {
    open.add(link.externalRef);
    const orders = held.get(link.externalRef) ?? [];
    const mine = orders.find((order) => order.workOrderId === link.workOrderId) ?? orders[0] ?? null;
    const finding = compareOne(mapping, link, mine);
    if (finding) result.findings.push(finding);
    for (const other of orders) {
      if (other !== mine) result.findings.push(unknownOrder(mapping.id, other, `a second work order for ${link.externalRef}`));
    }
  }
  // Orders for references outside the open links: known when some link (of any state) has the reference.
  const rest = [...held.keys()].filter((ref) => !open.has(ref));
  const known = new Map<string, string | null>();
  for (let i = 0; i < rest.length; i += 1000) {
    const chunk = rest.slice(i, i + 1000);
    const rows = await database.rows<{ external_ref: string; work_order_id: string | null }>(
      sql`select external_ref, work_order_id from links where target = ${mapping.id} and external_ref in (${sql.join(
        chunk.map((ref) => sql`${ref}`),
        sql`, `,
      )})`,
    );
    for (const row of rows) known.set(row.external_ref, row.work_order_id);
  }
  for (const ref of rest) {
    const orders = held.get(ref) ?? [];
    if (!known.has(ref)) {
      for (const order of orders) result.findings.push(unknownOrder(mapping.id, order, "no link has this reference"));
      continue;
    }
    const knownId = known.get(ref) ?? null;
    const mine = orders.find((order) => order.workOrderId === knownId) ?? orders[0];
    for (const order of orders) {
      if (order !== mine) result.findings.push(unknownOrder(mapping.id, order, `a second work order for ${ref}`));
    }
  }
}

async function compareByLookup(
  system: WorkOrderSystem,
  mapping: TargetMapping,
  links: readonly OpenLink[],
  result: TargetCheck,
): Promise<void> {
  const found = await mapBounded(links, LOOKUP_CONCURRENCY, (link) => system.findByExternalRef(link.externalRef));
  links.forEach((link, index) => {
    const finding = compareOne(mapping, link, found[index] ?? null);
    if (finding) result.findings.push(finding);
  });
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
