import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { createCoalescerPerOwner } from "../../lib/coalesce.ts";

/** One inbound field event to store in the inbox, as the sender gave it (the note already scrubbed). */
export interface InboundEvent {
  source: string;
  eventId: string;
  bodyHash: string;
  externalRef: string;
  workOrderId: string | null;
  statusCode: string;
  occurredAt: string;
  note: string | null;
  /** Store it only when the sender owns the work order (a link with this target and reference). */
  requireOwner: boolean;
}

export interface InboundOutcome {
  /** False when `requireOwner` and the sender has no such work order: nothing stored. */
  owned: boolean;
  /** Stored now; false for a redelivery of an event already in the inbox (R2). */
  accepted: boolean;
}

/**
 * Every event arriving at once goes into the inbox in one statement and one commit (group commit,
 * src/lib/coalesce.ts): each webhook and contractor event was a commit of its own, the most
 * frequent write of a round trip. Ownership is checked in the same statement. Within a batch the
 * first of two events with one (source, event id) is stored and the second is its redelivery.
 */
async function insertBatch(database: Database, events: InboundEvent[]): Promise<InboundOutcome[]> {
  const rows = events.map((e, i) => ({
    i,
    source: e.source,
    event_id: e.eventId,
    body_hash: e.bodyHash,
    external_ref: e.externalRef,
    work_order_id: e.workOrderId,
    status_code: e.statusCode,
    occurred_at: e.occurredAt,
    note: e.note,
    require_owner: e.requireOwner,
  }));
  const answers = await database.rows<{ i: number; owned: boolean; accepted: boolean }>(sql`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(
        i int, source text, event_id text, body_hash text, external_ref text, work_order_id text,
        status_code text, occurred_at timestamptz, note text, require_owner boolean)
    ), allowed as (
      select v.* from v
      where not v.require_owner or exists (select 1 from links l where l.external_ref = v.external_ref and l.target = v.source)
    ), firsts as (
      select distinct on (source, event_id) * from allowed order by source, event_id, i
    ), inserted as (
      insert into inbox_events (source, event_id, body_hash, external_ref, work_order_id, status_code, occurred_at, note)
      select source, event_id, body_hash, external_ref, work_order_id, status_code, occurred_at, note from firsts
      order by i
      on conflict (source, event_id) do nothing
      returning source, event_id
    )
    select v.i,
      exists (select 1 from allowed a where a.i = v.i) as owned,
      exists (select 1 from firsts f join inserted x using (source, event_id) where f.i = v.i) as accepted
    from v order by v.i`);
  return answers.map((a) => ({ owned: a.owned === true, accepted: a.accepted === true }));
}

/** Requests (each its list of events) stored together, one statement per batch of requests. */
const writeRequests = createCoalescerPerOwner(async (database: Database, requests: InboundEvent[][]) => {
  const outcomes = await insertBatch(database, requests.flat());
  let at = 0;
  return requests.map((r) => {
    at += r.length;
    return outcomes.slice(at - r.length, at);
  });
});

/**
 * Stores one request's inbound events, sharing the statement with every request that arrives
 * meanwhile. A request's events are stored together or not at all.
 */
export function storeInboundEvents(database: Database, events: InboundEvent[]): Promise<InboundOutcome[]> {
  return events.length === 0 ? Promise.resolve([]) : writeRequests(database, events);
}
