import { eq, inArray, sql } from "drizzle-orm";
import type { Database, Tx } from "../../db/client.ts";
import { cases, type InboxState, inboxEvents, links } from "../../db/schema/index.ts";
import { type CanonicalStatus, judgeTransition } from "../../kernel/status.ts";
import { storableText } from "../../lib/storable-text.ts";
import type { FieldEvent } from "../../ports/work-order-system.ts";
import type { SiltaDeps } from "../deps.ts";
import { createJobFor, writeBackJobFor } from "../jobs/keys.ts";
import { enqueueJob, enqueueOrRearmJob, enqueueOrRearmJobs } from "../jobs/store.ts";
import { appendLedger, type LedgerEntryInput, parkEntry } from "../ledger.ts";
import { applyFieldStatus, applyFieldStatuses, insertLinks, markRerouted, parkLink } from "../links.ts";
import { routeCase } from "../routing.ts";
import { scrubOptional } from "../scrub.ts";
import { externalRefFor } from "../work-order-payload.ts";
import { type InboundEvent, storeInboundEvents } from "./inbox-writer.ts";
import { findStatusOverride } from "./status-overrides.ts";

export interface RecordedEvents {
  accepted: number;
  duplicates: number;
}

/**
 * Stores inbound field events in the inbox and returns at once: the sender's answer never waits
 * for processing (R5). The unique (source, event id) makes a redelivered event a no-op (R2).
 * The crew's note is scrubbed before it is stored.
 */
export async function recordFieldEvents(
  database: Database,
  source: string,
  events: readonly FieldEvent[],
  bodyHash: string,
): Promise<RecordedEvents> {
  const outcomes = await storeInboundEvents(
    database,
    events.map((event) => inboundEvent(source, event, bodyHash, false)),
  );
  const accepted = outcomes.filter((o) => o.accepted).length;
  return { accepted, duplicates: events.length - accepted };
}

/**
 * `recordFieldEvents` for one event from a contractor that must own the work order (the
 * contractor API): the ownership check and the insert are one statement. `owned` false: no such
 * work order for this contractor, nothing stored.
 */
export async function recordOwnedFieldEvent(
  database: Database,
  source: string,
  event: FieldEvent,
  bodyHash: string,
): Promise<{ owned: boolean; accepted: boolean }> {
  const [outcome] = await storeInboundEvents(database, [inboundEvent(source, event, bodyHash, true)]);
  return { owned: outcome?.owned === true, accepted: outcome?.accepted === true };
}

/**
 * An event as the inbox stores it. Its texts are made storable (src/lib/storable-text.ts): they
 * travel as JSON, where a lone surrogate or U+0000 would make PostgreSQL refuse the whole batch,
 * and the sender would retry the refused event until it gave up.
 */
function inboundEvent(source: string, event: FieldEvent, bodyHash: string, requireOwner: boolean): InboundEvent {
  const note = scrubOptional(event.note);
  return {
    source,
    eventId: storableText(event.eventId),
    bodyHash,
    externalRef: storableText(event.externalRef),
    workOrderId: event.workOrderId === null ? null : storableText(event.workOrderId),
    statusCode: storableText(event.statusCode),
    occurredAt: new Date(event.occurredAt).toISOString(),
    note: note === null ? null : storableText(note),
    requireOwner,
  };
}

type InboxRow = typeof inboxEvents.$inferSelect;

async function settle(tx: Tx, event: InboxRow, state: InboxState, reason: string | null): Promise<void> {
  await tx.update(inboxEvents).set({ state, reason, processedAt: new Date() }).where(eq(inboxEvents.id, event.id));
}

/** A target handed the case back: route it to the next target, or park it when there is none. */
async function rerouteCase(deps: SiltaDeps, tx: Tx, link: typeof links.$inferSelect): Promise<void> {
  const [caseRow] = await tx.select({ snapshot: cases.snapshot }).from(cases).where(eq(cases.id, link.caseId));
  const tried = await tx.select({ target: links.target }).from(links).where(eq(links.caseId, link.caseId));
  const decision = caseRow
    ? routeCase(deps.mappings, caseRow.snapshot, { excludeTargets: new Set(tried.map((t) => t.target)), rerouting: true })
    : null;
  const next = decision?.kind === "routed" && !tried.some((t) => t.target === decision.target) ? decision : null;
  if (!next) {
    const reason = "handed back as wrong contractor and no other target is configured for it";
    await parkLink(tx, link.id, { code: "route_missing", reason }, { fromAnyState: true });
    await appendLedger(
      tx,
      parkEntry({ caseId: link.caseId, linkId: link.id, target: link.target, code: "route_missing", detail: "wrong_contractor" }),
    );
    return;
  }
  await markRerouted(tx, link.id);
  const externalRef = externalRefFor(deps.mappings.city, link.caseId, next.target);
  const [created] = await insertLinks(tx, [{ caseId: link.caseId, target: next.target, externalRef }]);
  if (!created) throw new Error("link insert returned no row");
  await enqueueJob(tx, createJobFor(created));
  await appendLedger(tx, {
    caseId: link.caseId,
    linkId: created.id,
    target: next.target,
    direction: "internal",
    operation: "reroute",
    outcome: "ok",
    idempotencyKey: externalRef,
    detail: `from ${link.target} by rule ${next.ruleId}`,
  });
}

/** What one event does to its link, decided before anything is written (both apply paths use it). */
type Judgement =
  | { state: "unknown_work_order" | "quarantined" | "stale"; reason: string; ledger: LedgerEntryInput | null }
  | { state: "applied"; canonical: CanonicalStatus; ledger: LedgerEntryInput };

async function judgeEvent(
  deps: SiltaDeps,
  tx: Tx,
  link: typeof links.$inferSelect | undefined,
  event: InboxRow,
): Promise<Judgement> {
  // A target may only move its own work orders (S3).
  if (!link || link.target !== event.source) {
    return { state: "unknown_work_order", reason: `no work order ${event.externalRef} for ${event.source}`, ledger: null };
  }
  const base = {
    caseId: link.caseId,
    linkId: link.id,
    target: link.target,
    direction: "target_in" as const,
    operation: "field_status" as const,
    idempotencyKey: event.eventId,
  };
  // The shipped table first, then a mapping an admin made for a quarantined code.
  const canonical =
    deps.mappings.targets.get(link.target)?.inbound.get(event.statusCode) ??
    (await findStatusOverride(tx, link.target, event.statusCode));
  if (!canonical) {
    // Never guess: hold the event for an admin to map (architecture.md).
    return {
      state: "quarantined",
      reason: `unknown status code ${event.statusCode}`,
      ledger: { ...base, outcome: "quarantined", errorCode: "status_unmapped", detail: event.statusCode },
    };
  }
  const verdict = judgeTransition(link.fieldStatus, canonical);
  if (!verdict.apply) {
    return {
      state: "stale",
      reason: `${verdict.reason}: ${link.fieldStatus} then ${canonical}`,
      ledger: { ...base, outcome: "stale", detail: `${event.statusCode} → ${canonical} (${verdict.reason})` },
    };
  }
  return { state: "applied", canonical, ledger: { ...base, outcome: "ok", detail: `${event.statusCode} → ${canonical}` } };
}

async function applyOne(deps: SiltaDeps, tx: Tx, event: InboxRow): Promise<InboxState> {
  const [link] = await tx.select().from(links).where(eq(links.externalRef, event.externalRef)).for("update");
  const judgement = await judgeEvent(deps, tx, link, event);
  if (judgement.state !== "applied" || !link) {
    await settle(tx, event, judgement.state, judgement.state === "applied" ? null : judgement.reason);
    if (judgement.ledger) await appendLedger(tx, judgement.ledger);
    return judgement.state;
  }
  const { canonical } = judgement;
  await applyFieldStatus(tx, link, {
    fieldStatus: canonical,
    fieldStatusCode: event.statusCode,
    fieldStatusAt: event.occurredAt,
    workOrderId: event.workOrderId,
  });
  await settle(tx, event, "applied", null);
  await appendLedger(tx, judgement.ledger);
  if (canonical === "wrong_contractor") {
    await rerouteCase(deps, tx, link);
  } else {
    await enqueueOrRearmJob(tx, writeBackJobFor(link));
  }
  return "applied";
}

export type ApplySummary = Record<Exclude<InboxState, "pending">, number>;

/** Events taken per transaction: one scan of the pending inbox and one write of each kind serve them all. */
const APPLY_CHUNK = 100;

interface Settled {
  event: InboxRow;
  state: InboxState;
  reason: string | null;
}

/**
 * Applies one chunk with a fixed number of statements, whatever its size: the chunk's links are
 * locked in one query (in reference order), each event is judged in memory against the link as
 * the events before it left it, and then links, inbox rows, ledger entries and write-back jobs
 * are each written in one statement. Returns null, having written nothing, when an event needs
 * the one-by-one path (a hand-back to reroute).
 */
async function applyChunk(deps: SiltaDeps, tx: Tx, events: readonly InboxRow[]): Promise<Settled[] | null> {
  const refs = [...new Set(events.map((event) => event.externalRef))].sort();
  const locked = await tx.select().from(links).where(inArray(links.externalRef, refs)).orderBy(links.externalRef).for("update");
  const byRef = new Map(locked.map((link) => [link.externalRef, { ...link }]));
  const changed = new Map<number, (typeof locked)[number]>();
  const settled: Settled[] = [];
  const ledger: LedgerEntryInput[] = [];
  for (const event of events) {
    const link = byRef.get(event.externalRef);
    const judgement = await judgeEvent(deps, tx, link, event);
    if (judgement.ledger) ledger.push(judgement.ledger);
    if (judgement.state !== "applied" || !link) {
      settled.push({ event, state: judgement.state, reason: judgement.state === "applied" ? null : judgement.reason });
      continue;
    }
    const { canonical } = judgement;
    if (canonical === "wrong_contractor") return null;
    link.fieldStatus = canonical;
    link.fieldStatusCode = event.statusCode;
    link.fieldStatusAt = event.occurredAt;
    link.workOrderId = link.workOrderId ?? event.workOrderId;
    changed.set(link.id, link);
    settled.push({ event, state: "applied", reason: null });
  }
  if (changed.size > 0) {
    await applyFieldStatuses(tx, [...changed.values()]);
    await enqueueOrRearmJobs(tx, [...changed.values()].map(writeBackJobFor));
  }
  const outcomes = settled.map((s) => ({ id: s.event.id, state: s.state, reason: s.reason }));
  await tx.execute(sql`
    update inbox_events set state = v.state, reason = v.reason, processed_at = now()
    from jsonb_to_recordset(${JSON.stringify(outcomes)}::jsonb) as v(id bigint, state text, reason text)
    where inbox_events.id = v.id`);
  await appendLedger(tx, ledger);
  return settled;
}

/**
 * Applies pending inbox events, oldest first, with their links locked. Statuses only move
 * forward: a stale or repeated status is recorded and ignored, an unknown code is quarantined.
 * Rows are claimed with SKIP LOCKED so several workers can share the inbox; each chunk is one
 * transaction that takes its links' locks in reference order (link before job, as write-backs
 * do), so that two workers never wait on each other in a circle. A chunk is written in a few
 * statements (`applyChunk`); a chunk with a hand-back, or one whose batch failed, is applied one
 * event at a time, each in its own savepoint.
 */
export async function applyPendingFieldEvents(deps: SiltaDeps, limit = deps.settings.batchSize): Promise<ApplySummary> {
  const summary: ApplySummary = { applied: 0, stale: 0, quarantined: 0, unknown_work_order: 0 };
  let taken = 0;
  while (taken < limit) {
    const take = Math.min(APPLY_CHUNK, limit - taken);
    const settled = await deps.database.db.transaction(async (tx) => {
      const events = await tx
        .select()
        .from(inboxEvents)
        // A literal, not a parameter: PostgreSQL's generic plan for `state = $1` cannot use the
        // partial pending index and read the whole inbox (40 ms at 40,000 events) on every take.
        .where(sql`${inboxEvents.state} = 'pending'`)
        .orderBy(inboxEvents.occurredAt, inboxEvents.id)
        .limit(take)
        .for("update", { skipLocked: true });
      events.sort(
        (a, b) => a.externalRef.localeCompare(b.externalRef) || a.occurredAt.getTime() - b.occurredAt.getTime() || a.id - b.id,
      );
      const batched =
        events.length > 1
          ? await tx
              .transaction((savepoint) => applyChunk(deps, savepoint, events))
              .catch((error: unknown) => {
                deps.log.warn(
                  { err: error instanceof Error ? error.message : String(error), events: events.length },
                  "applying field events as one batch failed; applying them one by one",
                );
                return null;
              })
          : null;
      if (batched) return batched.map((s) => ({ state: s.state, source: s.event.source }));
      const results: { state: InboxState; source: string }[] = [];
      for (const event of events) {
        results.push({ state: await tx.transaction((savepoint) => applyOne(deps, savepoint, event)), source: event.source });
      }
      return results;
    });
    if (settled.length === 0) break;
    taken += settled.length;
    for (const result of settled) {
      summary[result.state as keyof ApplySummary]++;
      deps.metrics.fieldEvent({ target: result.source, state: result.state });
    }
    if (settled.length < take) break;
  }
  return summary;
}
