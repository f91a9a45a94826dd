import { and, desc, eq, gte, inArray, sql } from "drizzle-orm";
import { type AlertKind, type AlertLevel, alerts } from "../../db/schema/index.ts";
import type { AlertNotice } from "../../ports/alert-channel.ts";
import { writeAudit } from "../admin/audit.ts";
import { readTargetHealth } from "../admin/target-health.ts";
import type { SiltaDeps } from "../deps.ts";
import { readIntakeHealth } from "../intake/intake-health.ts";

export interface AlertSettings {
  /** Unacknowledged dead letters above this many raise `dead_letters`. */
  deadLetterThreshold: number;
  /** At most this many notices go out per hour; the rest wait for the next evaluation. */
  maxNoticesPerHour: number;
  /** When intake counts as stalled; absent: intake is not watched (the sandbox). */
  intake?: { staleMs: number; since: Date };
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = { deadLetterThreshold: 10, maxNoticesPerHour: 30 };

interface Condition {
  key: string;
  kind: AlertKind;
  level: AlertLevel;
  message: string;
}

/** What is wrong now, one condition per key. */
async function currentConditions(deps: SiltaDeps, settings: AlertSettings): Promise<Condition[]> {
  const found: Condition[] = [];
  for (const t of await readTargetHealth(deps.database, deps.mappings)) {
    if (t.state === "down")
      found.push({
        key: `target_down:${t.target}`,
        kind: "target_down",
        level: "critical",
        message: `${t.name} is down: ${t.failing} of ${t.waiting} waiting deliveries failing (${t.lastError ?? "unknown"}); Silta keeps retrying. Check the target, or pause it in the console.`,
      });
    if (t.state === "degraded")
      found.push({
        key: `target_degraded:${t.target}`,
        kind: "target_degraded",
        level: "warning",
        message: `${t.name} is failing: ${t.failing} of ${t.waiting} waiting deliveries failing${t.lastError ? ` (${t.lastError})` : ""}, the oldest waiting ${t.oldestAgeSeconds} s; Silta keeps retrying.`,
      });
    if (t.state === "paused")
      found.push({
        key: `target_paused:${t.target}`,
        kind: "target_paused",
        level: "info",
        message: `${t.name} is paused by ${t.pause?.pausedBy ?? "an admin"}${t.pause?.until ? ` until ${t.pause.until}` : ""}; ${t.waiting} deliveries wait.`,
      });
  }
  const [counts] = await deps.database.rows<{ dead: number; findings: number; breaches: number }>(sql`
    select
      (select count(*)::int from outbox_jobs where state = 'dead' and (acknowledged_until is null or acknowledged_until < now())
        and acknowledged_by is null) as dead,
      (select count(*)::int from reconciliation_findings where state = 'open' and kind not in ('sla_warning', 'sla_breach')) as findings,
      (select count(*)::int from reconciliation_findings where state = 'open' and kind = 'sla_breach') as breaches`);
  const dead = Number(counts?.dead ?? 0);
  if (dead > settings.deadLetterThreshold)
    found.push({
      key: "dead_letters",
      kind: "dead_letters",
      level: "warning",
      message: `${dead} dead letters wait for an admin (more than ${settings.deadLetterThreshold}): see Failures, fix the cause, re-drive.`,
    });
  const findings = Number(counts?.findings ?? 0);
  if (findings > 0)
    found.push({
      key: "reconciliation_findings",
      kind: "reconciliation_findings",
      level: "warning",
      message: `${findings} open reconciliation finding(s): Silta and a target or the case system disagree; see the console's overview.`,
    });
  const breaches = Number(counts?.breaches ?? 0);
  if (breaches > 0)
    found.push({
      key: "late_answers",
      kind: "late_answers",
      level: "warning",
      message: `${breaches} work order(s) past the answer promise: escalate to the contractors and tell the case handlers.`,
    });
  if (settings.intake) {
    const intake = await readIntakeHealth(deps.database, { now: deps.now(), ...settings.intake });
    if (intake.stale)
      found.push({
        key: "intake_stalled",
        kind: "intake_stalled",
        level: "critical",
        message: `No Open311 poll has succeeded since ${intake.lastSuccessAt ?? "start"}${intake.lastFailureReason ? `: ${intake.lastFailureReason}` : ""}.`,
      });
  }
  return found;
}

/**
 * Raises an alert for each condition that has none open, recovers each open alert whose
 * condition is gone, and sends what changed to every channel: each raise and each recovery once,
 * de-duplicated by key and at most `maxNoticesPerHour` (the rest go at the next evaluation). A
 * channel that fails is logged; the alerts stay in the console. The only writer of `alerts`.
 */
export async function evaluateAlerts(
  deps: SiltaDeps,
  settings: AlertSettings = DEFAULT_ALERT_SETTINGS,
): Promise<{ raised: number; recovered: number; notified: number }> {
  const conditions = await currentConditions(deps, settings);
  const active = new Map(conditions.map((c) => [c.key, c]));
  const { raised, recovered } = await deps.database.db.transaction(async (tx) => {
    const open = await tx.select().from(alerts).where(eq(alerts.state, "open")).for("update");
    const openKeys = new Set(open.map((a) => a.key));
    const fresh = conditions.filter((c) => !openKeys.has(c.key));
    if (fresh.length > 0) await tx.insert(alerts).values(fresh).onConflictDoNothing();
    const gone = open.filter((a) => !active.has(a.key));
    for (const a of gone) await tx.update(alerts).set({ state: "recovered", recoveredAt: new Date() }).where(eq(alerts.id, a.id));
    // Open alerts whose message changed (a count moved) keep their row; the text is refreshed.
    for (const a of open) {
      const now = active.get(a.key);
      if (now && now.message !== a.message) await tx.update(alerts).set({ message: now.message }).where(eq(alerts.id, a.id));
    }
    return { raised: fresh.length, recovered: gone.length };
  });
  const notified = await notify(deps, settings);
  return { raised, recovered, notified };
}

/** Sends the raises and recoveries not sent yet, within the hourly budget, and marks them sent. */
async function notify(deps: SiltaDeps, settings: AlertSettings): Promise<number> {
  const channels = deps.alertChannels ?? [];
  if (channels.length === 0) return 0;
  const hourAgo = new Date(deps.now().getTime() - 3_600_000);
  const [sentRow] = await deps.database.rows<{ n: number }>(sql`
    select (select count(*)::int from alerts where notified_raised_at >= ${hourAgo.toISOString()}::timestamptz)
      + (select count(*)::int from alerts where notified_recovered_at >= ${hourAgo.toISOString()}::timestamptz) as n`);
  const budget = Math.max(0, settings.maxNoticesPerHour - Number(sentRow?.n ?? 0));
  if (budget === 0) return 0;
  const pendingRaise = await deps.database.db
    .select()
    .from(alerts)
    .where(sql`${alerts.notifiedRaisedAt} is null`)
    .orderBy(alerts.id)
    .limit(budget);
  const pendingRecover = await deps.database.db
    .select()
    .from(alerts)
    .where(
      sql`${alerts.state} = 'recovered' and ${alerts.notifiedRecoveredAt} is null and ${alerts.notifiedRaisedAt} is not null`,
    )
    .orderBy(alerts.id)
    .limit(Math.max(0, budget - pendingRaise.length));
  const notices: AlertNotice[] = [
    ...pendingRaise.map((a) => ({
      event: "raised" as const,
      id: a.id,
      key: a.key,
      kind: a.kind,
      level: a.level,
      message: a.message,
      at: a.raisedAt.toISOString(),
    })),
    ...pendingRecover.map((a) => ({
      event: "recovered" as const,
      id: a.id,
      key: a.key,
      kind: a.kind,
      level: a.level,
      message: `Recovered: ${a.message}`,
      at: (a.recoveredAt ?? deps.now()).toISOString(),
    })),
  ];
  if (notices.length === 0) return 0;
  let delivered = false;
  for (const channel of channels) {
    try {
      await channel.send(notices);
      delivered = true;
    } catch (error) {
      deps.log.error(
        { channel: channel.name, notices: notices.length, err: error instanceof Error ? error.message : String(error) },
        "an alert channel failed; the alerts stay in the console and go again at the next evaluation",
      );
    }
  }
  if (!delivered) return 0;
  const now = new Date();
  const ids = (rows: readonly { id: number }[]) => rows.map((a) => a.id);
  if (pendingRaise.length > 0)
    await deps.database.db
      .update(alerts)
      .set({ notifiedRaisedAt: now })
      .where(inArray(alerts.id, ids(pendingRaise)));
  if (pendingRecover.length > 0)
    await deps.database.db
      .update(alerts)
      .set({ notifiedRecoveredAt: now })
      .where(inArray(alerts.id, ids(pendingRecover)));
  return notices.length;
}

export interface AlertView {
  id: number;
  key: string;
  kind: AlertKind;
  level: AlertLevel;
  message: string;
  state: "open" | "recovered";
  raisedAt: string;
  recoveredAt: string | null;
  acknowledgedBy: string | null;
  notified: boolean;
}

/** Open alerts first, then the week's recovered ones, newest first. */
export async function listAlerts(deps: SiltaDeps): Promise<AlertView[]> {
  const weekAgo = new Date(deps.now().getTime() - 7 * 86_400_000);
  const rows = await deps.database.db
    .select()
    .from(alerts)
    .where(sql`${alerts.state} = 'open' or ${gte(alerts.raisedAt, weekAgo)}`)
    .orderBy(sql`${alerts.state} = 'open' desc`, desc(alerts.id))
    .limit(200);
  return rows.map((a) => ({
    id: a.id,
    key: a.key,
    kind: a.kind,
    level: a.level,
    message: a.message,
    state: a.state,
    raisedAt: a.raisedAt.toISOString(),
    recoveredAt: a.recoveredAt?.toISOString() ?? null,
    acknowledgedBy: a.acknowledgedBy,
    notified: a.notifiedRaisedAt !== null,
  }));
}

/** An admin acknowledges an open alert (someone is on it); audited. */
export async function acknowledgeAlert(
  deps: SiltaDeps,
  actor: string,
  id: number,
): Promise<{ ok: boolean; result: string; message: string }> {
  return deps.database.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(alerts)
      .where(and(eq(alerts.id, id), eq(alerts.state, "open")))
      .for("update");
    const result = !row ? "not_applicable" : row.acknowledgedBy ? "already" : "acknowledged";
    if (row && !row.acknowledgedBy)
      await tx.update(alerts).set({ acknowledgedBy: actor, acknowledgedAt: new Date() }).where(eq(alerts.id, id));
    await writeAudit(tx, {
      actor,
      action: "alert.acknowledge",
      subject: `alert:${id}`,
      detail: { key: row?.key ?? null },
      result,
    });
    return {
      ok: result === "acknowledged",
      result,
      message: result === "acknowledged" ? "acknowledged" : "no open, unacknowledged alert with that id",
    };
  });
}
