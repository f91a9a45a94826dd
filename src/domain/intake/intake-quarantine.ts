import { sql } from "drizzle-orm";
import type { Database, Tx } from "../../db/client.ts";
import { executeRows } from "../../db/client.ts";
import { appendLedger } from "../ledger.ts";

/**
 * The only writer of `source_quarantine`: records from the case system that Silta could not take
 * in, each with its reason, so that one bad record is held and shown while the rest go in.
 * Every newly quarantined record (or one quarantined again for another reason) gets a ledger
 * entry in the same transaction, keyed by its id (or `row:<hash>`), so the ledger counts it.
 */

export interface QuarantineInput {
  serviceRequestId: string | null;
  /** Field names and database codes; never values. */
  reason: string;
  rowHash: string | null;
}

export interface QuarantinedRecord {
  key: string;
  serviceRequestId: string | null;
  reason: string;
  timesSeen: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

const REASON_CHARS = 300;

/** The quarantine key: the case's id, or the row's hash when it has none. */
export function quarantineKey(input: Pick<QuarantineInput, "serviceRequestId" | "rowHash">): string {
  return input.serviceRequestId ?? `row:${input.rowHash ?? "unknown"}`;
}

/** Holds the records and writes a ledger entry for each one newly held; returns how many were new. */
export async function quarantineSourceRecords(database: Database, inputs: readonly QuarantineInput[]): Promise<number> {
  if (inputs.length === 0) return 0;
  const byKey = new Map(inputs.map((input) => [quarantineKey(input), input]));
  const rows = [...byKey].map(([key, input]) => ({
    key,
    service_request_id: input.serviceRequestId,
    reason: input.reason.slice(0, REASON_CHARS),
    row_hash: input.rowHash,
  }));
  return database.db.transaction(async (tx) => {
    const held = await executeRows<{ key: string; reason: string; fresh: boolean }>(
      tx,
      sql`
      with incoming as (
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as v(key text, service_request_id text, reason text, row_hash text)
      ), before as (
        select q.key, q.state, q.reason from source_quarantine q join incoming i on i.key = q.key
      ), upserted as (
        insert into source_quarantine as q (key, service_request_id, reason, row_hash)
        select key, service_request_id, reason, row_hash from incoming
        on conflict (key) do update set reason = excluded.reason, row_hash = excluded.row_hash,
          times_seen = q.times_seen + 1, last_seen_at = now(), state = 'open', resolved_at = null
        returning q.key, q.reason
      )
      select u.key, u.reason,
        (b.key is null or b.state <> 'open' or b.reason is distinct from u.reason) as fresh
      from upserted u left join before b on b.key = u.key`,
    );
    const fresh = held.filter((row) => row.fresh);
    await appendLedger(
      tx,
      fresh.map((row) => ({
        caseId: row.key,
        direction: "source_in" as const,
        operation: "quarantine" as const,
        outcome: "quarantined",
        detail: row.reason.slice(0, 200),
      })),
    );
    return fresh.length;
  });
}

/** Releases the quarantine of records that have now been taken in (inside the intake's transaction). */
export async function releaseQuarantined(tx: Tx, serviceRequestIds: readonly string[]): Promise<void> {
  if (serviceRequestIds.length === 0) return;
  // One JSON array, not a parameter per id: the primary key answers it at any batch size.
  await tx.execute(sql`
    update source_quarantine set state = 'resolved', resolved_at = now()
    where state = 'open' and key in (select jsonb_array_elements_text(${JSON.stringify(serviceRequestIds)}::jsonb))`);
}

/** Records held now, newest first. */
export async function listQuarantinedRecords(database: Database, limit = 200): Promise<QuarantinedRecord[]> {
  const rows = await database.rows<{
    key: string;
    service_request_id: string | null;
    reason: string;
    times_seen: number;
    first_seen_at: string | Date;
    last_seen_at: string | Date;
  }>(sql`
    select key, service_request_id, reason, times_seen, first_seen_at, last_seen_at from source_quarantine
    where state = 'open' order by last_seen_at desc, key limit ${limit}`);
  return rows.map((r) => ({
    key: r.key,
    serviceRequestId: r.service_request_id,
    reason: r.reason,
    timesSeen: Number(r.times_seen),
    firstSeenAt: new Date(r.first_seen_at).toISOString(),
    lastSeenAt: new Date(r.last_seen_at).toISOString(),
  }));
}

/** How many records are held now. */
export async function countQuarantinedRecords(database: Database): Promise<number> {
  const [row] = await database.rows<{ n: number }>(sql`select count(*)::int as n from source_quarantine where state = 'open'`);
  return Number(row?.n ?? 0);
}
