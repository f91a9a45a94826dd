import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { inboxEvents, statusCodeOverrides } from "../../db/schema/index.ts";
import { type CanonicalStatus, isCanonicalStatus } from "../../kernel/status.ts";
import type { Mappings, TargetMapping } from "../../mappings/mappings.ts";
import type { SiltaDeps } from "../deps.ts";
import { type ApplySummary, applyPendingFieldEvents } from "../field-status/apply-events.ts";
import type { ActionResult, Actor } from "./actor.ts";
import { writeAudit } from "./audit.ts";

/** Statuses an admin may map a code to: what a crew can report (never Silta's own pending/sent/cancelled). */
export const MAPPABLE_STATUSES: readonly CanonicalStatus[] = [
  "received",
  "in_progress",
  "completed",
  "scheduled_later",
  "no_action",
  "interrupted",
  "wrong_contractor",
];

export interface QuarantinedCode {
  target: string;
  code: string;
  events: number;
  firstReceivedAt: string;
  lastReceivedAt: string;
  /** An admin's mapping for it, when one exists (events received before it stay held until re-driven). */
  override: CanonicalStatus | null;
}

/** Status codes held in quarantine, with how many events each holds. */
export async function listQuarantinedCodes(database: Database): Promise<QuarantinedCode[]> {
  const rows = await database.rows<{
    target: string;
    code: string;
    n: number;
    first: string;
    last: string;
    override: string | null;
  }>(sql`
    select e.source as target, e.status_code as code, count(*)::int as n, min(e.received_at) as first, max(e.received_at) as last,
      min(o.canonical) as override
    from inbox_events e left join status_code_overrides o on o.target = e.source and o.code = e.status_code
    where e.state = 'quarantined' group by e.source, e.status_code order by n desc, e.source, e.status_code`);
  return rows.map((r) => ({
    target: r.target,
    code: r.code,
    events: Number(r.n),
    firstReceivedAt: new Date(r.first).toISOString(),
    lastReceivedAt: new Date(r.last).toISOString(),
    override: r.override && isCanonicalStatus(r.override) ? r.override : null,
  }));
}

/** Every admin override, by target then code. */
export async function listStatusOverrides(database: Database) {
  return database.db.select().from(statusCodeOverrides).orderBy(statusCodeOverrides.target, statusCodeOverrides.code);
}

export { findStatusOverride } from "../field-status/status-overrides.ts";

/** The mappings with every admin override added to its target's inbound table (shipped codes win). */
export async function mappingsWithOverrides(database: Database, mappings: Mappings): Promise<Mappings> {
  const overrides = await listStatusOverrides(database);
  if (overrides.length === 0) return mappings;
  const targets = new Map<string, TargetMapping>();
  for (const [id, target] of mappings.targets) {
    const mine = overrides.filter((o) => o.target === id);
    if (mine.length === 0) {
      targets.set(id, target);
      continue;
    }
    const inbound = new Map<string, CanonicalStatus>(mine.map((o) => [o.code, o.canonical]));
    for (const [code, status] of target.inbound) inbound.set(code, status);
    targets.set(id, { ...target, inbound });
  }
  return { ...mappings, targets };
}

export interface MapCodeResult extends ActionResult {
  /** Held events released for processing. */
  released: number;
  /** How the released events settled when re-driven at once. */
  applied: ApplySummary | null;
}

/**
 * Maps a quarantined status code to a canonical status and re-drives the events it held: one
 * transaction stores the override, releases the held events back to pending and writes the
 * audit row; then the released events are applied with the override in force. A code the
 * shipped table already maps is refused (fix the table instead).
 */
export async function mapQuarantinedCode(
  deps: SiltaDeps,
  actor: Actor,
  input: { target: string; code: string; canonical: string; redrive: boolean },
): Promise<MapCodeResult> {
  const subject = `status:${input.target}:${input.code}`;
  const target = deps.mappings.targets.get(input.target);
  const refusal = !target
    ? `no target "${input.target}"`
    : target.inbound.has(input.code)
      ? `${input.target} already maps ${input.code} in mappings/status`
      : !(MAPPABLE_STATUSES as readonly string[]).includes(input.canonical)
        ? `"${input.canonical}" is not a status a crew can report (${MAPPABLE_STATUSES.join(", ")})`
        : null;
  const outcome = await deps.database.db.transaction(async (tx) => {
    if (refusal) {
      await writeAudit(tx, {
        actor,
        action: "quarantine.map",
        subject,
        detail: { reason: refusal, canonical: input.canonical },
        result: "invalid",
      });
      return { released: 0, refused: true };
    }
    const canonical = input.canonical as CanonicalStatus;
    await tx
      .insert(statusCodeOverrides)
      .values({ target: input.target, code: input.code, canonical, createdBy: actor })
      .onConflictDoUpdate({
        target: [statusCodeOverrides.target, statusCodeOverrides.code],
        set: { canonical, createdBy: actor, createdAt: sql`now()` },
      });
    const released = input.redrive
      ? await tx
          .update(inboxEvents)
          .set({ state: "pending", reason: null, processedAt: null })
          .where(
            and(
              eq(inboxEvents.source, input.target),
              eq(inboxEvents.statusCode, input.code),
              eq(inboxEvents.state, "quarantined"),
            ),
          )
          .returning({ id: inboxEvents.id })
      : [];
    await writeAudit(tx, {
      actor,
      action: "quarantine.map",
      subject,
      detail: { canonical, redrive: input.redrive, released: released.length },
      result: "mapped",
    });
    return { released: released.length, refused: false };
  });
  if (outcome.refused) {
    return { ok: false, subject, result: "invalid", message: refusal ?? "refused", released: 0, applied: null };
  }
  const applied =
    outcome.released > 0
      ? await applyPendingFieldEvents(
          { ...deps, mappings: await mappingsWithOverrides(deps.database, deps.mappings) },
          outcome.released + 50,
        )
      : null;
  return {
    ok: true,
    subject,
    result: "mapped",
    message: `${input.code} now means ${input.canonical}; ${outcome.released} held event(s) re-driven`,
    released: outcome.released,
    applied,
  };
}
