import { sql } from "drizzle-orm";
import type { FindingKind } from "../../db/schema/index.ts";
import type { LateAnswerAlarm } from "../../ports/alarm-channel.ts";
import type { SiltaDeps } from "../deps.ts";
import { checkCaseSystem } from "./check-case-system.ts";
import { checkClocks, checkUnsentWriteBacks } from "./check-clocks.ts";
import { checkTargets } from "./check-targets.ts";
import type { Finding } from "./finding.ts";
import { countOpenLinks, LINKS_PER_PAGE, type OpenLink } from "./open-links.ts";
import { LATE_ANSWER, recordFindings, resolveUnseen, type StoredFinding } from "./record-findings.ts";
import { repairFinding } from "./repair.ts";

export interface ReconcileOptions {
  /** Carry out the safe repairs (re-send a create, re-pull a status, re-post a write-back). */
  repair: boolean;
  /** Finished links stay under watch this long after they came to rest. Default 14 days. */
  recentMs?: number;
  /** A status not written back after this long (and with no job on it) is a missing write-back. Default 5 minutes. */
  writeBackGraceMs?: number;
  /** After this many repairs that did not help, a finding waits for an admin. Default 3. */
  maxRepairAttempts?: number;
  /** Links (and cases) read per page; a run holds about one page of them at a time. Default 1,000. */
  pageSize?: number;
  /** Told what the run is doing, for progress lines on long runs. */
  onProgress?: (step: string) => void;
}

export interface ReconcileFindingView {
  id: number;
  kind: FindingKind;
  subject: string;
  caseId: string | null;
  target: string | null;
  state: "open" | "acknowledged";
  autoRepairable: boolean;
  opened: boolean;
  suggestedAction: string;
}

export interface ReconcileReport {
  links: number;
  /** Work orders compared per target, and how (listing finds orders Silta does not know; lookups cannot). */
  targets: { listed: string[]; lookedUp: number; unreadable: Record<string, string> };
  caseSystem: { lookedUp: number; unreadable: string | null };
  findings: { seen: number; opened: number; resolved: number; byKind: Record<FindingKind, number> };
  repairs: { queued: number; skipped: number };
  /** Late-answer alarms this run raised (new warnings and breaches), and how many the alarm channel took. */
  alarms: { raised: number; sent: number };
  /** Every finding this run saw, open or acknowledged. */
  current: ReconcileFindingView[];
  ms: number;
}

const DAY_MS = 86_400_000;

/**
 * The late-answer part of reconciliation on its own (clocks only, no calls): records the warnings
 * and breaches due now and sends the new ones. Cheap (one query over the open links), for
 * runners that want alarms sooner than the full run's schedule.
 */
export async function raiseLateAnswerAlarms(deps: SiltaDeps): Promise<{ raised: number; sent: number }> {
  const late = (await checkClocks(deps)).filter((f) => LATE_ANSWER.has(f.kind));
  if (late.length === 0) return { raised: 0, sent: 0 };
  return sendLateAnswerAlarms(deps, await recordFindings(deps.database, late, 0));
}

/**
 * Sends the late-answer alarms this run opened (each warning and each breach once: a finding is
 * opened once) to the configured channel. A channel that fails is logged; the alarms stay in the
 * console, on the case page and in the metrics, so nothing depends on the channel alone.
 */
async function sendLateAnswerAlarms(
  deps: SiltaDeps,
  stored: readonly StoredFinding[],
): Promise<{ raised: number; sent: number }> {
  const raised: LateAnswerAlarm[] = stored
    .filter((f) => f.opened && LATE_ANSWER.has(f.kind))
    .map((f) => ({
      level: f.kind === "sla_breach" ? ("breach" as const) : ("warning" as const),
      findingId: f.id,
      caseId: f.caseId,
      target: f.target,
      externalRef: f.subject,
    }));
  if (raised.length === 0 || !deps.alarms) return { raised: raised.length, sent: 0 };
  try {
    await deps.alarms.send(raised);
    return { raised: raised.length, sent: raised.length };
  } catch (error) {
    deps.log.error(
      { alarms: raised.length, err: error instanceof Error ? error.message : String(error) },
      "the alarm webhook did not take the late-answer alarms; they are in the console and the metrics",
    );
    return { raised: raised.length, sent: 0 };
  }
}

/**
 * Reconciliation (ARCHITECTURE.md, flow 6): compares the open links with both systems through
 * the ports and with Silta's own clocks, stores each drift as a finding (opened once, then only
 * seen again; closed when a later run no longer sees it), and with `repair` queues the safe
 * repairs. Re-running changes nothing but the last-seen times. Nothing here calls a target to
 * change anything: repairs go through the outbox and the inbox like any other work.
 */
export async function reconcileOpenLinks(deps: SiltaDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => {});
  const [clock] = await deps.database.rows<{ now: string }>(sql`select now()::text as now`);
  if (!clock) throw new Error("the database did not tell the time");
  const recentMs = options.recentMs ?? 14 * DAY_MS;
  const pageSize = options.pageSize ?? LINKS_PER_PAGE;
  const links = await countOpenLinks(deps.database, recentMs);
  progress(`${links} open links`);

  const targets = await checkTargets(deps, recentMs, pageSize);
  progress(`targets compared (${targets.listed.length} listed, ${targets.lookedUp} looked up)`);
  const caseSide = await checkCaseSystem(deps, recentMs, pageSize);
  progress(`case system compared (${caseSide.lookedUp} cases)`);
  const clocks = await checkClocks(deps);
  const unsent = await checkUnsentWriteBacks(deps, options.writeBackGraceMs ?? 5 * 60_000);

  const observed = new Map([...targets.observed, ...caseSide.observed]);
  const fresh = await dropMovedLinks(deps, observed, [...targets.findings, ...caseSide.findings]);
  const findings = dedupe([...fresh, ...clocks, ...unsent]);
  const maxRepairAttempts = options.maxRepairAttempts ?? 3;
  const stored = await recordFindings(deps.database, findings, maxRepairAttempts);
  const resolved = await resolveUnseen(deps.database, clock.now, {
    targets: [...targets.failedTargets.keys()],
    caseSystem: caseSide.failed !== null,
  });
  progress(`${stored.length} findings recorded, ${resolved} resolved`);

  const alarms = await sendLateAnswerAlarms(deps, stored);
  const repairs = { queued: 0, skipped: 0 };
  if (options.repair) {
    const plans = new Map(findings.map((f) => [`${f.kind}\u0000${f.subject}`, f.repair]));
    for (const finding of stored) {
      const plan = plans.get(`${finding.kind}\u0000${finding.subject}`);
      if (!plan || !finding.autoRepairable || finding.state !== "open") continue;
      const outcome = await repairFinding(deps, finding, plan);
      repairs[outcome]++;
    }
    progress(`${repairs.queued} repairs queued`);
  }

  const byKind: Record<FindingKind, number> = {
    missing_in_target: 0,
    missing_in_source: 0,
    status_differs: 0,
    stale: 0,
    write_back_missing: 0,
    sla_breach: 0,
    sla_warning: 0,
    missing_in_silta: 0,
    source_truncated: 0,
  };
  for (const finding of stored) byKind[finding.kind]++;
  const actions = new Map(findings.map((f) => [`${f.kind}\u0000${f.subject}`, f.suggestedAction]));
  const report: ReconcileReport = {
    links,
    targets: {
      listed: targets.listed,
      lookedUp: targets.lookedUp,
      unreadable: Object.fromEntries(targets.failedTargets),
    },
    caseSystem: { lookedUp: caseSide.lookedUp, unreadable: caseSide.failed },
    findings: { seen: stored.length, opened: stored.filter((f) => f.opened).length, resolved, byKind },
    repairs,
    alarms,
    current: stored.map((f) => ({
      id: f.id,
      kind: f.kind,
      subject: f.subject,
      caseId: f.caseId,
      target: f.target,
      state: f.state,
      autoRepairable: f.autoRepairable,
      opened: f.opened,
      suggestedAction: actions.get(`${f.kind}\u0000${f.subject}`) ?? "",
    })),
    ms: Date.now() - started,
  };
  deps.log.info(
    {
      links: report.links,
      findings: report.findings.seen,
      opened: report.findings.opened,
      resolved,
      repairs: repairs.queued,
      ms: report.ms,
    },
    "reconciliation run",
  );
  return report;
}

/** One finding per (kind, subject): the same gap can be seen from Silta's side and the case system's. */
function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const finding of findings) {
    const key = `${finding.kind}\u0000${finding.subject}`;
    if (!seen.has(key)) seen.set(key, finding);
  }
  return [...seen.values()];
}

/**
 * Target and case-system findings compare a link with the other system as read moments apart: an event that arrived
 * meanwhile would look like drift. Links that moved since they were compared are left for the next run.
 */
async function dropMovedLinks(
  deps: SiltaDeps,
  before: ReadonlyMap<number, OpenLink>,
  findings: readonly Finding[],
): Promise<Finding[]> {
  const ids = [...new Set(findings.flatMap((f) => (f.linkId === null ? [] : [f.linkId])))];
  if (ids.length === 0) return [...findings];
  const now = new Map<
    number,
    { state: string; field_status: string; work_order_id: string | null; written_back_status: string | null }
  >();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await deps.database.rows<{
      id: number | string;
      state: string;
      field_status: string;
      work_order_id: string | null;
      written_back_status: string | null;
    }>(
      sql`select id, state, field_status, work_order_id, written_back_status from links where id in (${sql.join(
        ids.slice(i, i + 1000).map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
    for (const row of rows) now.set(Number(row.id), row);
  }
  return findings.filter((f) => {
    if (f.linkId === null) return true;
    const old = before.get(f.linkId);
    const cur = now.get(f.linkId);
    return (
      old !== undefined &&
      cur !== undefined &&
      old.state === cur.state &&
      old.fieldStatus === cur.field_status &&
      old.workOrderId === cur.work_order_id &&
      old.writtenBackStatus === cur.written_back_status
    );
  });
}
