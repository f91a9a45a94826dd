import { sql } from "drizzle-orm";
import { evaluateAlerts } from "../domain/alerts/evaluate-alerts.ts";
import { checkLedgerBalance } from "../domain/ledger.ts";
import type { Sandbox } from "./sandbox.ts";
import { isSettled } from "./settle.ts";

export interface SandboxSummary {
  seed: number;
  database: string;
  cases: number;
  routed: number;
  excluded: number;
  cancelled: number;
  parked: number;
  workOrdersCreated: number;
  duplicateWorkOrders: number;
  fieldStatusesWrittenBack: number;
  /** New work cycles (round 2 and later) opened because a finished case was reopened. */
  reworkCycles: number;
  /** Cases marked as duplicates that share another case's work order instead of their own. */
  duplicatesMerged: number;
  /** Photos from the field: received (checked and cleaned), approved by a handler, written back to the case. */
  photos: { received: number; approved: number; writtenBack: number };
  /**
   * With `--fail-over`: work orders e-mailed while the target was down (the ledger), e-mails the
   * loopback SMTP server took, and orders the target holds twice for an e-mailed reference.
   */
  fallback?: { emailed: number; smtpReceived: number; duplicatesAfterReturn: number };
  /** With `--fail-over`: operational alerts raised, delivered to the channels, and recovered. */
  alerts?: { raised: number; delivered: number; recovered: number };
  /** Late-answer alarms raised (warnings and breaches of the answer promise), each once. */
  alarmsRaised: number;
  /** Which Open311 server the sandbox simulated (`--open311-profile`). */
  open311Profile: "helsinki" | "generic";
  /** Where Silta ran (`--runtime`): this Node process, or the Worker inside workerd. */
  runtime: "node" | "worker";
  /** Cases at the simulated source: published or not, readable or not (its own store, the ground truth). */
  sourceCases: number;
  /** Of those, cases Silta accounts for: taken in (routed or excluded, with a reason) or held in quarantine with a reason. */
  accountedFor: number;
  /** Of those, held in quarantine. */
  quarantined: number;
  /** Cases the city has that Silta does not account for, plus forwarded work orders the target does not hold. */
  lost: number;
  ledgerBalanced: boolean;
  /** Planted personal data found in what contractors received or in the ledger. */
  personalDataLeaks: number;
  /**
   * Read from the state when the summary is made: every case at the source taken in, no job
   * pending or running, no field event pending, every routed case at rest (and, for a headless
   * run, reached before its timeout). Never assumed: a run stopped mid-way says false.
   */
  settled: boolean;
  /** Routed cases not yet at rest (a work order still on its way, or a field status not yet written back). */
  unsettledCases: number;
  /** Jobs whose last attempt failed and that wait for their next attempt. */
  retryingJobs: number;
  /** Jobs that gave up (dead: a permanent failure or the retry horizon). */
  failedJobs: number;
  seconds: number;
  /** With `--inject-drift`: what was done to the simulators behind Silta's back, and what reconciliation made of it. */
  drift?: { injected: number; detected: number; repaired: number; open: number; repairable: number };
}

const TERMINAL_WORKS = new Set([
  "PUBLIC_WORKS_COMPLETED",
  "PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER",
  "PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION",
  "PUBLIC_WORKS_INTERRUPTED",
]);

/**
 * Counts the run from the simulators' own stores (the ground truth of the systems Silta does not
 * own) and from Silta's ledger, not from Silta's opinion of itself.
 */
export async function summarizeSandbox(
  sandbox: Sandbox,
  extra: {
    seed: number;
    /** false: the run's wait gave up (timeout, Ctrl-C); true: let the state decide. */
    settled: boolean;
    seconds: number;
    drift?: SandboxSummary["drift"];
  },
): Promise<SandboxSummary> {
  const { database, helsinki, stara, contractors } = sandbox;
  const cityCases = [...helsinki.sim.store.cases.keys()];
  const known = new Set((await database.rows<{ id: string }>(sql`select id from cases`)).map((r) => r.id));
  const held = new Set(
    (await database.rows<{ key: string }>(sql`select key from source_quarantine where state = 'open'`)).map((r) => r.key),
  );
  const accountedFor = cityCases.filter((id) => known.has(id) || held.has(id)).length;
  const quarantined = cityCases.filter((id) => !known.has(id) && held.has(id)).length;
  const notTakenIn = cityCases.length - accountedFor;

  // Ground truth at the targets: how many orders each reference has.
  const holdings = new Map<string, number>();
  const payloads: string[] = [];
  for (const [ref, count] of stara.sim.store.countByExternalRef()) holdings.set(ref, count);
  for (const order of stara.sim.store.all()) payloads.push(JSON.stringify(order));
  for (const { sim } of contractors.values()) {
    for (const [ref, count] of sim.store.countsByWorkOrderId()) holdings.set(ref, (holdings.get(ref) ?? 0) + count);
    for (const order of sim.store.orders()) payloads.push(JSON.stringify(order));
  }
  let workOrdersCreated = 0;
  let duplicateWorkOrders = 0;
  for (const count of holdings.values()) {
    workOrdersCreated += count;
    duplicateWorkOrders += Math.max(0, count - 1);
  }
  // Drift (an order the target silently lost) is reconciliation's business; here every forwarded link must be held.
  const forwarded = await database.rows<{ external_ref: string }>(
    sql`select external_ref from links where state in ('forwarded', 'rerouted')`,
  );
  const missingAtTarget = forwarded.filter((l) => !holdings.has(l.external_ref)).length;

  const writtenBack = new Set<string>();
  for (const update of helsinki.sim.store.updates.values()) {
    if (update.external_status_code && TERMINAL_WORKS.has(update.external_status_code))
      writtenBack.add(update.service_request_id);
  }

  const ledgerText = JSON.stringify(await database.rows(sql`select * from ledger_entries`));
  const haystacks = [...payloads, ledgerText];
  let personalDataLeaks = 0;
  for (const stored of helsinki.sim.store.cases.values()) {
    const planted = stored.plantedPersonalData;
    if (!planted) continue;
    const values: string[] = [];
    for (const person of [planted.inDescription, planted.reporter]) {
      if (person) values.push(person.email, person.phone, `${person.firstName} ${person.lastName}`);
    }
    if (planted.inDescription) values.push(planted.inDescription.personalIdentityCode);
    for (const value of values) if (haystacks.some((h) => h.includes(value))) personalDataLeaks++;
  }

  const failOver = sandbox.failOver;
  let fallback: SandboxSummary["fallback"];
  let alertCounts: SandboxSummary["alerts"];
  if (failOver) {
    // The minute's evaluation, once more now that the run is at rest: a target back by now has recovered.
    await evaluateAlerts(sandbox.silta.deps, { deadLetterThreshold: 1_000, maxNoticesPerHour: 1_000 });
    const emailedRefs = (
      await database.rows<{ ref: string }>(
        sql`select distinct idempotency_key as ref from ledger_entries where outcome = 'fallback'`,
      )
    ).map((r) => r.ref);
    fallback = {
      emailed: emailedRefs.length,
      smtpReceived: new Set(failOver.mailbox.filter((m) => m.reference).map((m) => m.reference)).size,
      duplicatesAfterReturn: emailedRefs.filter((ref) => (holdings.get(ref) ?? 0) > 1).length,
    };
    const [a] = await database.rows<{ raised: number; delivered: number; recovered: number }>(sql`
      select count(*)::int as raised, count(notified_raised_at)::int as delivered,
        count(*) filter (where state = 'recovered')::int as recovered from alerts`);
    alertCounts = { raised: Number(a?.raised ?? 0), delivered: Number(a?.delivered ?? 0), recovered: Number(a?.recovered ?? 0) };
  }

  const balance = await checkLedgerBalance(database);
  const progress = await sandbox.progress();
  const [counts] = await database.rows<{
    routed: number;
    excluded: number;
    cancelled: number;
    parked: number;
    rework: number;
    alarms: number;
    merged: number;
    photos_received: number;
    photos_approved: number;
    photos_written_back: number;
  }>(sql`
    select
      (select count(*)::int from links where round > 1) as rework,
      (select count(*)::int from photos) as photos_received,
      (select count(*)::int from photos where state = 'approved') as photos_approved,
      (select count(*)::int from photos where written_back_at is not null) as photos_written_back,
      (select count(*)::int from cases where duplicate_of is not null) as merged,
      (select count(*)::int from reconciliation_findings where kind in ('sla_warning', 'sla_breach')) as alarms,
      (select count(*)::int from cases where disposition = 'routed') as routed,
      (select count(*)::int from cases where disposition = 'excluded') as excluded,
      (select count(*)::int from links where state = 'cancelled') as cancelled,
      (select count(*)::int from links where state = 'parked') as parked`);
  return {
    seed: extra.seed,
    database: sandbox.databaseLabel,
    cases: cityCases.length,
    open311Profile: sandbox.open311Profile,
    runtime: sandbox.runtime,
    sourceCases: cityCases.length,
    accountedFor,
    quarantined,
    routed: counts?.routed ?? 0,
    excluded: counts?.excluded ?? 0,
    cancelled: counts?.cancelled ?? 0,
    parked: counts?.parked ?? 0,
    workOrdersCreated,
    duplicateWorkOrders,
    fieldStatusesWrittenBack: writtenBack.size,
    reworkCycles: counts?.rework ?? 0,
    alarmsRaised: counts?.alarms ?? 0,
    duplicatesMerged: counts?.merged ?? 0,
    ...(fallback ? { fallback } : {}),
    ...(alertCounts ? { alerts: alertCounts } : {}),
    photos: {
      received: counts?.photos_received ?? 0,
      approved: counts?.photos_approved ?? 0,
      writtenBack: counts?.photos_written_back ?? 0,
    },
    lost: notTakenIn + missingAtTarget + balance.violationCount,
    ledgerBalanced: balance.balanced,
    personalDataLeaks,
    settled: extra.settled && isSettled(progress, cityCases.length),
    unsettledCases: progress.unsettled,
    retryingJobs: progress.retrying,
    failedJobs: progress.failed,
    seconds: Math.round(extra.seconds * 10) / 10,
    ...(extra.drift ? { drift: extra.drift } : {}),
  };
}

/**
 * The run passed: nothing lost or duplicated, the ledger balances, no personal data left, it
 * settled (unless `requireSettled` is false: an interactive run stopped with Ctrl-C may stop
 * mid-way), and (with drift injected) every drift was detected and every repairable one repaired.
 */
export function sandboxPassed(summary: SandboxSummary, options: { requireSettled?: boolean } = {}): boolean {
  return (
    summary.lost === 0 &&
    summary.accountedFor === summary.sourceCases &&
    summary.duplicateWorkOrders === 0 &&
    summary.ledgerBalanced &&
    summary.personalDataLeaks === 0 &&
    (summary.settled || options.requireSettled === false) &&
    (!summary.drift ||
      (summary.drift.detected === summary.drift.injected && summary.drift.repaired === summary.drift.repairable)) &&
    (!summary.fallback ||
      (summary.fallback.emailed > 0 &&
        summary.fallback.emailed === summary.fallback.smtpReceived &&
        summary.fallback.duplicatesAfterReturn === 0))
  );
}
