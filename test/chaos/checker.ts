import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import type { Database } from "../../src/db/client.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import type { Mappings } from "../../src/mappings/mappings.ts";
import { getJson } from "./processes.ts";

/** Where the ground truth lives: the simulators' control surfaces, by target id. */
export interface GroundTruthSources {
  helsinkiUrl: string;
  staraUrl: string;
  contractorUrls: Map<string, string>;
  /** Silta's log files, scanned for planted personal data. */
  logFiles: string[];
}

export interface Verdict {
  cases: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  converged: boolean;
  ledgerBalanced: boolean;
  /** Planted personal data found outside the citizen-data store (targets' stores, ledger, logs). */
  canaries: number;
  /** Why the run did not converge (first few), for the human reading a failure. */
  problems: string[];
}

interface TargetOrder {
  ref: string;
  status: string;
  cancelled: boolean;
}

interface StaraOrder {
  ulkoinen_viite: string;
  tila: string;
}
interface ContractorOrder {
  workOrderId: string;
  status: string;
  cancelled: boolean;
}

const TERMINAL = new Set(["completed", "scheduled_later", "no_action", "interrupted", "cancelled", "wrong_contractor"]);

/** Every work order every target holds, from their own stores (the ground truth Silta does not own). */
export async function readTargetOrders(sources: GroundTruthSources): Promise<Map<string, TargetOrder[]>> {
  const byTarget = new Map<string, TargetOrder[]>();
  const stara = await getJson<{ tyotilaukset: StaraOrder[] }>(`${sources.staraUrl}/__sim/orders`);
  byTarget.set(
    "stara",
    stara.tyotilaukset.map((o) => ({ ref: o.ulkoinen_viite, status: o.tila, cancelled: o.tila === "PERUTTU" })),
  );
  for (const [target, url] of sources.contractorUrls) {
    const store = await getJson<{ orders: ContractorOrder[] }>(`${url}/__sim/store`);
    byTarget.set(
      target,
      store.orders.map((o) => ({ ref: o.workOrderId, status: o.status, cancelled: o.cancelled })),
    );
  }
  return byTarget;
}

/**
 * Counts the run Jepsen-style from the simulators' ground truth and Silta's database: lost
 * (a city case not taken in, a forwarded link the target does not hold, work still in flight at
 * rest; a record held in quarantine counts as accounted for), duplicated (more than one order
 * per reference), unexpected (an order Silta has no forwarded link for, or a live order for a
 * case the city withdrew), convergence (every link's status equals the target's, and is written
 * back unless `writeBack` is false) and the ledger balance.
 */
export async function checkRun(
  database: Database,
  mappings: Mappings,
  sources: GroundTruthSources,
  options: { scanCanaries?: boolean; writeBack?: boolean } = {},
): Promise<Verdict> {
  const problems: string[] = [];
  const note = (problem: string) => {
    if (problems.length < 12) problems.push(problem);
  };
  const city = await getJson<{ cases: { id: string }[] }>(`${sources.helsinkiUrl}/__sim/cases`);
  const known = new Set((await database.rows<{ id: string }>(sql`select id from cases`)).map((r) => r.id));
  // A record held in quarantine with its reason is accounted for (issue 16), not lost.
  const held = new Set(
    (await database.rows<{ key: string }>(sql`select key from source_quarantine where state = 'open'`)).map((r) => r.key),
  );
  let lost = 0;
  for (const { id } of city.cases) {
    if (!known.has(id) && !held.has(id)) {
      lost++;
      note(`case ${id} never taken in`);
    }
  }
  const orders = await readTargetOrders(sources);
  const holdings = new Map<string, TargetOrder[]>();
  let duplicated = 0;
  for (const [target, list] of orders) {
    for (const order of list) {
      const key = `${target}|${order.ref}`;
      holdings.set(key, [...(holdings.get(key) ?? []), order]);
    }
  }
  for (const [key, list] of holdings) {
    if (list.length > 1) {
      duplicated += list.length - 1;
      note(`${key} held ${list.length} times`);
    }
  }
  const links = await database.rows<{
    id: number;
    target: string;
    external_ref: string;
    state: string;
    desired: string;
    field_status: string;
    written_back_status: string | null;
  }>(sql`select id, target, external_ref, state, desired, field_status, written_back_status from links`);
  const linkByKey = new Map(links.map((l) => [`${l.target}|${l.external_ref}`, l]));
  let converged = true;
  for (const link of links) {
    const key = `${link.target}|${link.external_ref}`;
    const order = holdings.get(key)?.[0];
    if (link.state === "pending") {
      lost++;
      converged = false;
      note(`link ${link.id} still in flight`);
      continue;
    }
    if (link.state === "parked") {
      converged = false;
      note(`link ${link.id} parked`);
      continue;
    }
    if (link.state === "forwarded" || link.state === "rerouted") {
      if (!order) {
        lost++;
        note(`link ${link.id} forwarded but ${key} not held`);
        continue;
      }
      const canonical = mappings.targets.get(link.target)?.inbound.get(order.status.normalize("NFC"));
      if (canonical !== link.field_status) {
        converged = false;
        note(`link ${link.id}: Silta ${link.field_status}, target ${order.status}`);
      }
      if (!canonical || !TERMINAL.has(canonical)) {
        converged = false;
        note(`link ${link.id}: target still at ${order.status}`);
      }
      const writable = mappings.writeback.statuses[link.field_status as keyof typeof mappings.writeback.statuses];
      // A server without write-back (the generic profile) leaves nothing to write back.
      if (options.writeBack !== false && writable && link.written_back_status !== link.field_status) {
        converged = false;
        note(`link ${link.id}: written back ${link.written_back_status}, status ${link.field_status}`);
      }
    }
  }
  let unexpected = 0;
  for (const [key, list] of holdings) {
    const link = linkByKey.get(key);
    const order = list[0];
    if (!link || !order) {
      unexpected++;
      note(`${key} held but Silta has no link`);
      continue;
    }
    if (link.state === "pending" || link.state === "parked") {
      unexpected++;
      note(`${key} held but link ${link.id} is ${link.state}`);
    }
    if (link.desired === "cancelled") {
      const canonical = mappings.targets.get(link.target)?.inbound.get(order.status.normalize("NFC"));
      if (!order.cancelled && !(canonical && TERMINAL.has(canonical))) {
        unexpected++;
        note(`${key} still live after the city withdrew it`);
      }
    }
  }
  const [rest] = await database.rows<{ jobs: number; events: number }>(sql`
    select (select count(*)::int from outbox_jobs where state in ('pending', 'running')) as jobs,
           (select count(*)::int from inbox_events where state = 'pending') as events`);
  if ((rest?.jobs ?? 0) > 0 || (rest?.events ?? 0) > 0) {
    converged = false;
    note(`${rest?.jobs} jobs and ${rest?.events} inbox events still pending`);
  }
  const balance = await checkLedgerBalance(database);
  for (const violation of balance.violations.slice(0, 3)) note(`ledger: ${violation.caseId} ${violation.problem}`);

  if (!options.scanCanaries) {
    return {
      cases: city.cases.length,
      lost,
      duplicated,
      unexpected,
      converged,
      ledgerBalanced: balance.balanced,
      canaries: 0,
      problems,
    };
  }
  // Canaries: planted personal data must appear nowhere outside the cases table.
  const { canaries } = await getJson<{ canaries: string[] }>(`${sources.helsinkiUrl}/__sim/canaries`);
  const haystacks: string[] = [JSON.stringify([...orders.values()])];
  haystacks.push(JSON.stringify(await database.rows(sql`select * from ledger_entries`)));
  haystacks.push(JSON.stringify(await database.rows(sql`select last_error, payload from outbox_jobs`)));
  const staraFull = await getJson<unknown>(`${sources.staraUrl}/__sim/orders`);
  haystacks.push(JSON.stringify(staraFull));
  for (const url of sources.contractorUrls.values()) haystacks.push(JSON.stringify(await getJson<unknown>(`${url}/__sim/store`)));
  for (const file of sources.logFiles) {
    try {
      haystacks.push(readFileSync(file, "utf8"));
    } catch {
      // A child that never wrote a log.
    }
  }
  let found = 0;
  for (const canary of new Set(canaries)) {
    if (haystacks.some((h) => h.includes(canary))) {
      found++;
      note(`canary found outside the cases table`);
    }
  }
  return {
    cases: city.cases.length,
    lost,
    duplicated,
    unexpected,
    converged,
    ledgerBalanced: balance.balanced,
    canaries: found,
    problems,
  };
}
