import { inArray, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { describeDatabaseError } from "../../db/describe-database-error.ts";
import { cases } from "../../db/schema/index.ts";
import type { CaseRecord } from "../../ports/case-system.ts";
import type { SiltaDeps } from "../deps.ts";
import { linkDuplicate, unlinkDuplicate } from "../duplicates.ts";
import { cancelJobFor, createJobFor } from "../jobs/keys.ts";
import { enqueueJob, enqueueJobs } from "../jobs/store.ts";
import { appendLedger, type LedgerEntryInput } from "../ledger.ts";
import { insertLinks, requestCancellation } from "../links.ts";
import { openReworkCycles } from "../rework.ts";
import { routeCase } from "../routing.ts";
import { externalRefFor } from "../work-order-payload.ts";
import { quarantineSourceRecords, releaseQuarantined } from "./intake-quarantine.ts";
import { contentHash, rememberStored, storedHashesOf } from "./stored-hashes.ts";

export interface IntakeSummary {
  seen: number;
  new: number;
  updated: number;
  unchanged: number;
  routed: number;
  excluded: number;
  cancelled: number;
  /** New work cycles opened: a finished case reopened at the source, or marked not fixed. */
  reworked: number;
  /** Known cases the source marked as duplicates of another (they now share its work order). */
  merged: number;
  /** Cases the database refused even alone: held in `source_quarantine` with the database's reason. */
  quarantined: number;
}

/** A summary with every count at 0. */
export function emptyIntakeSummary(): IntakeSummary {
  return {
    seen: 0,
    new: 0,
    updated: 0,
    unchanged: 0,
    routed: 0,
    excluded: 0,
    cancelled: 0,
    reworked: 0,
    merged: 0,
    quarantined: 0,
  };
}

/** The ledger's note for a case taken in: new or changed, and which fields were cleaned to be storable. */
function intakeDetail(kind: "new" | "changed", record: CaseRecord): string {
  if (!record.cleanedFields?.length) return kind;
  return `${kind}; cleaned ${record.cleanedFields.join(", ")}`.slice(0, 200);
}

/**
 * SQLSTATE classes that mean "this data", not "this database": 22 data exception (a character
 * PostgreSQL cannot store, a value out of range), 23 integrity constraint, 54 program limit (a
 * row too large). Anything else (a lost connection, a shutdown) fails the whole intake, so that
 * nothing is quarantined for the database's own trouble and the poll retries it all.
 */
function isDataError(error: unknown): boolean {
  const { code } = describeDatabaseError(error);
  return code !== null && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

/**
 * Writes one batch; if the database refuses it for its data, writes each case alone, and holds
 * in quarantine (with the database's code and message, never the case) each case refused alone.
 * One bad record costs its batch a retry, never the rest of the intake.
 */
async function writeEachOrQuarantine(
  deps: SiltaDeps,
  batch: Hashed[],
  summary: IntakeSummary,
  write: (items: Hashed[]) => Promise<void>,
): Promise<void> {
  try {
    await write(batch);
    return;
  } catch (error) {
    if (!isDataError(error)) throw error;
    if (batch.length === 1) {
      const { code, message } = describeDatabaseError(error);
      const id = batch[0]?.record.serviceRequestId ?? null;
      deps.log.error({ serviceRequestId: id, pgCode: code, pgMessage: message }, "case refused by the database: quarantined");
      summary.quarantined += await quarantineSourceRecords(deps.database, [
        { serviceRequestId: id, reason: `database refused: ${code} ${message}`, rowHash: batch[0]?.hash ?? null },
      ]);
      return;
    }
  }
  for (const item of batch) await writeEachOrQuarantine(deps, [item], summary, write);
}

/** Cases are written this many to a transaction: large enough to amortise commits, small enough to keep locks short. */
const CASES_PER_TRANSACTION = 250;

type Hashed = { record: CaseRecord; hash: string };

function caseColumns({ record, hash }: Hashed) {
  return {
    serviceCode: record.serviceCode,
    status: record.status,
    deskStatus: record.deskStatus,
    worksStatus: record.worksStatus,
    sourceUpdatedAt: record.updatedAt ? new Date(record.updatedAt) : null,
    snapshot: record,
    snapshotHash: hash,
  };
}

/**
 * Takes cases read from the case system into Silta. New cases are routed, and their snapshots,
 * links, delivery jobs and ledger entries are written together, many cases to a transaction:
 * either all rows of a case exist or none. A changed case updates its snapshot, and a city-side
 * withdrawal queues the cancellation of its work orders. An unchanged case (same content hash)
 * costs a share of one read, so overlapping poll windows are cheap.
 */
export async function ingestCases(deps: SiltaDeps, records: readonly CaseRecord[]): Promise<IntakeSummary> {
  const summary: IntakeSummary = { ...emptyIntakeSummary(), seen: records.length };
  // The same case twice in one batch (overlapping windows): the later copy wins.
  const latest = new Map<string, CaseRecord>();
  for (const record of records) latest.set(record.serviceRequestId, record);
  summary.unchanged += records.length - latest.size;
  // What this process stored a moment ago is unchanged without asking the database (stored-hashes.ts).
  const memo = storedHashesOf(deps);
  const hashed: Hashed[] = [];
  for (const record of latest.values()) {
    const hash = contentHash(record);
    if (memo.get(record.serviceRequestId) === hash) summary.unchanged++;
    else hashed.push({ record, hash });
  }

  const known = new Map<string, { hash: string; disposition: string }>();
  for (let i = 0; i < hashed.length; i += 1000) {
    const ids = hashed.slice(i, i + 1000).map((h) => h.record.serviceRequestId);
    const rows = await deps.database.db
      .select({ id: cases.id, hash: cases.snapshotHash, disposition: cases.disposition })
      .from(cases)
      .where(inArray(cases.id, ids));
    for (const row of rows) known.set(row.id, row);
  }

  const fresh: Hashed[] = [];
  const changed: Hashed[] = [];
  for (const item of hashed) {
    const existing = known.get(item.record.serviceRequestId);
    if (!existing) fresh.push(item);
    else if (existing.hash === item.hash) {
      summary.unchanged++;
      rememberStored(memo, item.record.serviceRequestId, item.hash);
    } else changed.push(item);
  }
  // One order for every process, so that two pollers writing the same cases cannot deadlock.
  const byId = (a: Hashed, b: Hashed) => (a.record.serviceRequestId < b.record.serviceRequestId ? -1 : 1);
  changed.sort(byId);
  for (let i = 0; i < changed.length; i += CASES_PER_TRANSACTION) {
    await writeEachOrQuarantine(deps, changed.slice(i, i + CASES_PER_TRANSACTION), summary, (items) =>
      ingestChangedCases(deps, items, summary),
    );
  }
  fresh.sort(byId);
  for (let i = 0; i < fresh.length; i += CASES_PER_TRANSACTION) {
    await writeEachOrQuarantine(deps, fresh.slice(i, i + CASES_PER_TRANSACTION), summary, (items) =>
      ingestNewCases(deps, items, summary),
    );
  }
  return summary;
}

/**
 * Writes a batch of new cases with their routing outcome in one transaction. `ON CONFLICT DO
 * NOTHING` makes a case another Silta process took in meanwhile a no-op here: only the cases this
 * transaction inserted get links, jobs and ledger entries.
 */
async function ingestNewCases(deps: SiltaDeps, batch: Hashed[], summary: IntakeSummary): Promise<void> {
  const closedMeansResolved = deps.source?.profile.closedMeans === "resolved";
  const decisions = new Map(
    batch.map((item) => [item.record.serviceRequestId, routeCase(deps.mappings, item.record, { closedMeansResolved })]),
  );
  const records = new Map(batch.map((item) => [item.record.serviceRequestId, item.record]));
  // Counted only once the transaction commits: a batch the database refuses is written again case by case.
  const counts = { new: 0, unchanged: 0, routed: 0, excluded: 0 };
  let stored: { id: string; hash: string }[] = [];
  await deps.database.db.transaction(async (tx) => {
    // A case the source marks as a duplicate of one Silta has shares that case's work order.
    const roots = await duplicateRoots(tx, batch);
    for (const [id] of roots) decisions.set(id, { kind: "excluded", reason: "duplicate" });
    const inserted = await tx
      .insert(cases)
      .values(
        batch.map((item) => {
          const decision = decisions.get(item.record.serviceRequestId);
          return {
            id: item.record.serviceRequestId,
            ...caseColumns(item),
            disposition: decision?.kind ?? "excluded",
            dispositionReason: decision?.kind === "excluded" ? decision.reason : null,
            duplicateOf: roots.get(item.record.serviceRequestId) ?? null,
          };
        }),
      )
      .onConflictDoNothing({ target: cases.id })
      .returning({ id: cases.id, hash: cases.snapshotHash });
    const ledger: LedgerEntryInput[] = [];
    const newLinks: { caseId: string; target: string; externalRef: string; ruleId: string }[] = [];
    for (const { id, hash } of inserted) {
      const decision = decisions.get(id);
      if (!decision) continue;
      const record = records.get(id);
      ledger.push({
        caseId: id,
        direction: "source_in",
        operation: "intake",
        outcome: "ok",
        payloadHash: hash,
        detail: record ? intakeDetail("new", record) : "new",
      });
      if (decision.kind === "excluded") {
        ledger.push({ caseId: id, direction: "internal", operation: "exclude", outcome: "excluded", detail: decision.reason });
        const root = roots.get(id);
        if (root)
          ledger.push({
            caseId: id,
            direction: "internal",
            operation: "merge",
            outcome: "ok",
            detail: `duplicate of ${root}: the case system marked it`,
          });
        counts.excluded++;
      } else {
        newLinks.push({
          caseId: id,
          target: decision.target,
          externalRef: externalRefFor(deps.mappings.city, id, decision.target),
          ruleId: decision.ruleId,
        });
        counts.routed++;
      }
    }
    counts.new += inserted.length;
    counts.unchanged += batch.length - inserted.length;
    // A case held in quarantine before (refused by the database, or unreadable) is in now.
    await releaseQuarantined(
      tx,
      inserted.map((row) => row.id),
    );
    if (newLinks.length > 0) {
      const linkRows = await insertLinks(tx, newLinks);
      const ruleOf = new Map(newLinks.map((l) => [l.externalRef, l.ruleId]));
      await enqueueJobs(tx, linkRows.map(createJobFor));
      for (const link of linkRows) {
        ledger.push({
          caseId: link.caseId,
          linkId: link.id,
          target: link.target,
          direction: "internal",
          operation: "route",
          outcome: "ok",
          idempotencyKey: link.externalRef,
          detail: `rule ${ruleOf.get(link.externalRef) ?? "?"}`,
        });
      }
    }
    await appendLedger(tx, ledger);
    stored = inserted;
  });
  // Remembered only once committed: a refused batch is written again case by case.
  const memo = storedHashesOf(deps);
  for (const row of stored) rememberStored(memo, row.id, row.hash);
  for (const key of Object.keys(counts) as (keyof typeof counts)[]) summary[key] += counts[key];
}

/**
 * The root each new case of the batch duplicates, where the source names a parent Silta has
 * (stored, or earlier in this batch): the parent itself, or the case that parent duplicates.
 */
async function duplicateRoots(tx: Tx, batch: readonly Hashed[]): Promise<Map<string, string>> {
  const named = batch.filter((item) => item.record.duplicateOf);
  if (named.length === 0) return new Map();
  const parents = [...new Set(named.map((item) => item.record.duplicateOf as string))];
  const stored = await tx.select({ id: cases.id, duplicateOf: cases.duplicateOf }).from(cases).where(inArray(cases.id, parents));
  const known = new Map(stored.map((row) => [row.id, row.duplicateOf ?? row.id]));
  for (const item of batch)
    if (!known.has(item.record.serviceRequestId) && !item.record.duplicateOf)
      known.set(item.record.serviceRequestId, item.record.serviceRequestId);
  const roots = new Map<string, string>();
  for (const item of named) {
    const root = known.get(item.record.duplicateOf as string);
    if (root && root !== item.record.serviceRequestId) roots.set(item.record.serviceRequestId, root);
  }
  return roots;
}

/**
 * Known cases whose content changed, in one transaction: new snapshots, their ledger entries, and
 * cancellations where the city withdrew the case. Rows are locked in id order (the caller sorts),
 * and a case whose stored content already matches (another process applied it meanwhile) is left
 * alone. A few statements per batch instead of five per case: Silta's own write-backs change
 * nearly every case it forwards, so this path runs about once per round trip.
 */
async function ingestChangedCases(deps: SiltaDeps, batch: Hashed[], summary: IntakeSummary): Promise<void> {
  // Counted only once the transaction commits: a batch the database refuses is written again case by case.
  const counts = { unchanged: 0, updated: 0, cancelled: 0, reworked: 0, merged: 0 };
  let present: Hashed[] = [];
  await deps.database.db.transaction(async (tx) => {
    const current = await tx
      .select({
        id: cases.id,
        hash: cases.snapshotHash,
        disposition: cases.disposition,
        status: cases.status,
        deskStatus: cases.deskStatus,
        duplicateOf: cases.duplicateOf,
        // What the source said last time: only its own mark is taken back when it drops it (a handler's link stays).
        sourceDuplicateOf: sql<string | null>`${cases.snapshot}->>'duplicateOf'`,
      })
      .from(cases)
      .where(
        inArray(
          cases.id,
          batch.map((item) => item.record.serviceRequestId),
        ),
      )
      .orderBy(cases.id)
      .for("update");
    const stored = new Map(current.map((row) => [row.id, row]));
    const changed = batch.filter((item) => {
      const row = stored.get(item.record.serviceRequestId);
      return row !== undefined && row.hash !== item.hash;
    });
    counts.unchanged += batch.length - changed.length;
    // After this transaction every case still there holds the hash of this batch's copy.
    present = batch.filter((item) => stored.has(item.record.serviceRequestId));
    if (changed.length === 0) return;
    const rows = changed.map((item) => {
      const c = caseColumns(item);
      return {
        id: item.record.serviceRequestId,
        service_code: c.serviceCode,
        status: c.status,
        desk_status: c.deskStatus,
        works_status: c.worksStatus,
        source_updated_at: c.sourceUpdatedAt?.toISOString() ?? null,
        snapshot: c.snapshot,
        snapshot_hash: c.snapshotHash,
      };
    });
    await tx.execute(sql`
      update cases set service_code = v.service_code, status = v.status, desk_status = v.desk_status,
        works_status = v.works_status, source_updated_at = v.source_updated_at, snapshot = v.snapshot,
        snapshot_hash = v.snapshot_hash, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id text, service_code text, status text,
        desk_status text, works_status text, source_updated_at timestamptz, snapshot jsonb, snapshot_hash text)
      where cases.id = v.id`);
    await appendLedger(
      tx,
      changed.map(({ record, hash }) => ({
        caseId: record.serviceRequestId,
        direction: "source_in" as const,
        operation: "intake" as const,
        outcome: "ok",
        payloadHash: hash,
        detail: intakeDetail("changed", record),
      })),
    );
    counts.updated += changed.length;
    const closedMeansResolved = deps.source?.profile.closedMeans === "resolved";
    for (const { record } of changed) {
      const withdrawn = record.deskStatus !== null && deps.mappings.cityCancelDeskStatuses.has(record.deskStatus);
      // Where `closed` means resolved, the city closing a case withdraws what is still to be done.
      const resolved = closedMeansResolved && record.status === "closed";
      const before = stored.get(record.serviceRequestId);
      const saidDuplicate = record.duplicateOf ?? null;
      if (saidDuplicate && saidDuplicate !== before?.sourceDuplicateOf) {
        if ((await linkDuplicate(tx, record.serviceRequestId, saidDuplicate, "the case system marked it")) === "linked")
          counts.merged++;
        continue;
      }
      if (!saidDuplicate && before?.sourceDuplicateOf && before.duplicateOf) {
        await unlinkDuplicate(tx, deps, record.serviceRequestId, "the case system no longer marks it");
        continue;
      }
      if ((withdrawn || resolved) && before?.disposition === "routed") {
        counts.cancelled += await queueCancellations(
          tx,
          record.serviceRequestId,
          withdrawn ? `city desk status ${record.deskStatus}` : "closed at the source (resolved)",
        );
        continue;
      }
      // Finished work that did not fix it: reopened (closed -> open), or a desk state that says so.
      const reopened = before?.status === "closed" && record.status === "open";
      const notFixed =
        record.deskStatus !== null &&
        record.deskStatus !== before?.deskStatus &&
        deps.mappings.cityReworkDeskStatuses.has(record.deskStatus);
      if ((reopened || notFixed) && before?.disposition === "routed")
        counts.reworked += (
          await openReworkCycles(tx, deps.mappings, record.serviceRequestId, reopened ? "reopened" : "not_fixed")
        ).length;
    }
  });
  const memo = storedHashesOf(deps);
  for (const { record, hash } of present) rememberStored(memo, record.serviceRequestId, hash);
  for (const key of Object.keys(counts) as (keyof typeof counts)[]) summary[key] += counts[key];
}

/** Marks the case's open links as to be cancelled and queues one cancel job each. */
export async function queueCancellations(tx: Tx, caseId: string, why: string): Promise<number> {
  const open = await requestCancellation(tx, caseId);
  for (const link of open) {
    await enqueueJob(tx, cancelJobFor(link));
    await appendLedger(tx, {
      caseId,
      linkId: link.id,
      target: link.target,
      direction: "internal",
      operation: "cancel_work_order",
      outcome: "queued",
      idempotencyKey: link.externalRef,
      detail: why,
    });
  }
  return open.length;
}
