import { sql } from "drizzle-orm";
import type { FindingKind } from "../db/schema/index.ts";
import { reconcileOpenLinks } from "../domain/reconcile/reconcile.ts";
import type { Sandbox } from "./sandbox.ts";
import { isSettled } from "./settle.ts";

/** What the sandbox did to a simulator behind Silta's back. */
export interface InjectedDrift {
  kind: "dropped_work_order" | "silent_status_change";
  target: string;
  externalRef: string;
  /** The finding reconciliation should open for it. */
  expected: FindingKind;
  detected: boolean;
  /** Reconciliation judged it safe to repair on its own. */
  repairable: boolean;
  /** Repaired: the finding closed and the simulator's ground truth agrees with Silta again. */
  repaired: boolean;
}

export interface DriftSummary {
  injected: number;
  detected: number;
  repairable: number;
  repaired: number;
  /** Injected drift whose finding is still open (waiting for an admin, or not repaired in time). */
  open: number;
  items: InjectedDrift[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FreshLink extends Record<string, unknown> {
  id: number;
  target: string;
  external_ref: string;
  work_order_id: string | null;
}

/**
 * Drift on purpose, after the run settled: a fresh batch of cases is delivered with the field
 * crews slowed down, then the simulators silently lose some of those work orders or finish them
 * without telling Silta (no webhook, no event), alternately. Reconciliation with repair then runs
 * on the sandbox's rhythm until every repairable drift is repaired and the batch settles (or the
 * time is up). Write-backs are not dropped: the Helsinki simulator's update store is read-only
 * from outside (it needs a `dropUpdate` helper first).
 */
export async function injectAndRepairDrift(
  sandbox: Sandbox,
  options: {
    count: number;
    timeoutMs: number;
    say?: (line: string) => void;
    /** How long each crew step of the drifted batch takes: long enough to inject before it finishes. */
    slowCrewMs?: { minDelayMs: number; maxDelayMs: number };
  },
): Promise<DriftSummary> {
  const say = options.say ?? (() => {});
  const { database, stara, contractors } = sandbox;
  const [mark] = await database.rows<{ id: number }>(sql`select coalesce(max(id), 0)::int as id from links`);
  const after = mark?.id ?? 0;

  // Slow crews, so that the batch is still unfinished when the drift comes.
  const slow = options.slowCrewMs ?? { minDelayMs: 4_000, maxDelayMs: 6_000 };
  const fast = { ...stara.sim.knobs.progress };
  stara.sim.setKnobs({ progress: slow });
  const contractorFast = new Map([...contractors].map(([id, c]) => [id, { ...c.sim.knobs.progress }]));
  for (const c of contractors.values()) c.sim.knobs.progress = { ...slow };

  /** Drops the work order, or finishes it silently; false when the simulator no longer has it open. */
  const inject = (link: FreshLink, drop: boolean): boolean => {
    if (link.target === "stara") {
      if (!link.work_order_id) return false;
      if (drop) return stara.sim.dropWorkOrder(link.work_order_id);
      stara.sim.setStatusSilently(link.work_order_id, "VALMIS");
      return true;
    }
    const sim = contractors.get(link.target)?.sim;
    if (!sim) return false;
    return drop ? sim.dropWorkOrder(link.external_ref) : sim.setStatusSilently(link.external_ref, "COMPLETED");
  };

  // Records taken in: stored cases and quarantined ones (accounted for, with a reason).
  const takenIn = sql`((select count(*) from cases) + (select count(*) from source_quarantine))::int`;
  const [before] = await database.rows<{ n: number }>(sql`select ${takenIn} as n`);
  const added = options.count * 2 + 4;
  sandbox.addCases(added);
  const items: InjectedDrift[] = [];
  const tried = new Set<number>();
  const waitUntil = performance.now() + 20_000;
  // Each link is drifted as soon as it is seen delivered and unfinished: on a busy machine the
  // first links of the batch can finish before the last are delivered, so waiting for the whole
  // batch could leave too few unfinished ones.
  while (items.length < options.count && performance.now() < waitUntil) {
    await sandbox.poll();
    const fresh = await database.rows<FreshLink>(sql`
      select id::int as id, target, external_ref, work_order_id from links
      where id > ${after} and state = 'forwarded' and desired = 'open' and field_status in ('sent', 'received') order by id`);
    for (const link of fresh) {
      if (items.length >= options.count || tried.has(link.id)) continue;
      tried.add(link.id);
      const drop = items.length % 2 === 0;
      if (!inject(link, drop)) continue;
      items.push({
        kind: drop ? "dropped_work_order" : "silent_status_change",
        target: link.target,
        externalRef: link.external_ref,
        expected: drop ? "missing_in_target" : "status_differs",
        detected: false,
        repairable: false,
        repaired: false,
      });
    }
    const [intake] = await database.rows<{ cases: number; creates: number }>(sql`select
      ${takenIn} as cases,
      (select count(*)::int from outbox_jobs where state in ('pending', 'running') and kind = 'create_work_order') as creates`);
    // The whole batch is in and delivered: no further link will come to drift.
    if ((intake?.cases ?? 0) >= (before?.n ?? 0) + added && intake?.creates === 0 && fresh.every((l) => tried.has(l.id))) break;
    await sleep(200);
  }
  stara.sim.setKnobs({ progress: fast });
  for (const [id, c] of contractors) c.sim.knobs.progress = contractorFast.get(id) ?? c.sim.knobs.progress;
  say(
    `drift: injected ${items.length} (${items.filter((i) => i.kind === "dropped_work_order").length} lost work orders, ${items.filter((i) => i.kind === "silent_status_change").length} silent status changes)`,
  );

  const openNow = new Set<string>();
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const report = await reconcileOpenLinks(sandbox.silta.deps, { repair: true, writeBackGraceMs: 2_000 });
    openNow.clear();
    for (const finding of report.current) {
      openNow.add(`${finding.kind} ${finding.subject}`);
      for (const item of items) {
        if (item.detected || finding.kind !== item.expected || finding.subject !== item.externalRef) continue;
        item.detected = true;
        item.repairable = finding.autoRepairable;
      }
    }
    await sandbox.poll();
    const progress = await sandbox.progress();
    const waiting = items.some((i) => !i.detected || (i.repairable && openNow.has(`${i.expected} ${i.externalRef}`)));
    if ((!waiting && isSettled(progress, sandbox.helsinki.sim.store.cases.size)) || performance.now() > deadline) break;
    await sleep(500);
  }

  for (const item of items) {
    if (!item.detected || openNow.has(`${item.expected} ${item.externalRef}`)) continue;
    item.repaired = await agreesAgain(sandbox, item);
  }
  const summary: DriftSummary = {
    injected: items.length,
    detected: items.filter((i) => i.detected).length,
    repairable: items.filter((i) => i.repairable).length,
    repaired: items.filter((i) => i.repaired).length,
    open: items.filter((i) => openNow.has(`${i.expected} ${i.externalRef}`)).length,
    items,
  };
  say(
    `drift: detected ${summary.detected}, repaired ${summary.repaired} of ${summary.repairable} repairable, open ${summary.open}`,
  );
  return summary;
}

/** The simulator's own store agrees with Silta's link again: the order is held, with the status Silta has. */
async function agreesAgain(sandbox: Sandbox, item: InjectedDrift): Promise<boolean> {
  const [link] = await sandbox.database.rows<{ field_status: string }>(
    sql`select field_status from links where external_ref = ${item.externalRef}`,
  );
  const mapping = sandbox.silta.deps.mappings.targets.get(item.target);
  if (!link || !mapping) return false;
  let code: string | undefined;
  let count = 0;
  if (item.target === "stara") {
    const orders = sandbox.stara.sim.ordersByExternalRef(item.externalRef);
    count = orders.length;
    code = orders[0]?.tila;
  } else {
    const store = sandbox.contractors.get(item.target)?.sim.store;
    count = store?.countsByWorkOrderId().get(item.externalRef) ?? 0;
    code = store?.find(item.externalRef)?.status;
  }
  return count === 1 && code !== undefined && mapping.inbound.get(code) === link.field_status;
}
