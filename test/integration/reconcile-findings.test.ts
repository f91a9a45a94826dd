import { sql } from "drizzle-orm";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { recordFieldEvents } from "../../src/domain/field-status/apply-events.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { reconcileOpenLinks } from "../../src/domain/reconcile/reconcile.ts";
import type { CaseRecord } from "../../src/ports/case-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { DriftingTarget, WritableCaseSystem } from "./reconcile-fakes.ts";

let database: TestDatabase;
let caseSystem: WritableCaseSystem;
let stara: DriftingTarget;
let east: DriftingTarget;
let deps: SiltaDeps;

const settle = () => drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
const reconcile = (repair = false) => reconcileOpenLinks(deps, { repair, writeBackGraceMs: 0 });

beforeEach(async () => {
  await database?.dispose();
  database = await createTestDatabase();
  caseSystem = new WritableCaseSystem();
  stara = new DriftingTarget("stara", { listing: true, firstCode: "UUSI" });
  east = new DriftingTarget("contractor-east", { listing: false, firstCode: "SENT" });
  deps = makeDeps(database, caseSystem, [
    stara,
    east,
    new DriftingTarget("contractor-west", { listing: false, firstCode: "SENT" }),
  ]);
});
afterAll(async () => database?.dispose());

/** Cases taken in and delivered: Stara's (north-central, fallback) and contractor-east's. */
async function deliver(n: number, place: "northCentral" | "east" = "northCentral"): Promise<CaseRecord[]> {
  const records = Array.from({ length: n }, () => makeCase({ ...PLACES[place] }));
  for (const record of records) caseSystem.cases.set(record.serviceRequestId, record);
  await ingestCases(deps, records);
  await settle();
  return records;
}

async function refOf(record: CaseRecord): Promise<string> {
  const [row] = await database.rows<{ external_ref: string }>(
    sql`select external_ref from links where case_id = ${record.serviceRequestId}`,
  );
  if (!row) throw new Error("no link");
  return row.external_ref;
}

async function findingRows() {
  return database.rows<{
    id: number;
    kind: string;
    subject: string;
    state: string;
    auto_repairable: string;
    first_seen_at: string;
    last_seen_at: string;
    repair_attempts: number;
  }>(sql`select id, kind, subject, state, auto_repairable, first_seen_at::text, last_seen_at::text, repair_attempts
         from reconciliation_findings order by id`);
}

/** The target moves the order and tells Silta (a webhook through the inbox). */
async function statusEvent(record: CaseRecord, source: string, code: string): Promise<void> {
  const ref = await refOf(record);
  (source === "stara" ? stara : east).setStatusSilently(ref, code);
  await recordFieldEvents(
    database,
    source,
    [
      {
        eventId: `${ref}:${code}`,
        externalRef: ref,
        workOrderId: null,
        statusCode: code,
        occurredAt: new Date().toISOString(),
        note: null,
      },
    ],
    "hash",
  );
  await settle();
}

describe("reconciliation", () => {
  it("finds nothing when both systems agree, on a listing target and a lookup-only one", async () => {
    await deliver(2);
    await deliver(2, "east");
    const report = await reconcile(true);
    expect(report.links).toBe(4);
    expect(report.current).toEqual([]);
    expect(report.targets.listed).toEqual(["stara"]);
    expect(east.lookups).toBeGreaterThanOrEqual(2);
    expect(await findingRows()).toEqual([]);
  });

  it("re-sends a create the target lost, without a duplicate, and the finding closes itself", async () => {
    const [lost, kept] = await deliver(2);
    if (!lost || !kept) throw new Error("cases");
    const ref = await refOf(lost);
    stara.orders.delete(ref);

    const first = await reconcile(true);
    expect(first.current.map((f) => [f.kind, f.subject, f.autoRepairable])).toEqual([["missing_in_target", ref, true]]);
    expect(first.repairs.queued).toBe(1);
    expect(await checkLedgerBalance(database)).toMatchObject({ balanced: true });

    await settle();
    expect(stara.orders.has(ref)).toBe(true);
    expect(stara.orders.size).toBe(2);
    const second = await reconcile(true);
    expect(second.current).toEqual([]);
    expect(second.findings.resolved).toBe(1);
    expect((await findingRows()).map((f) => f.state)).toEqual(["resolved"]);
    const [entry] = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from ledger_entries where idempotency_key = ${ref} and operation = 'create_work_order' and outcome = 'requeued'`,
    );
    expect(entry?.n).toBe(1);
    expect((await checkLedgerBalance(database)).balanced).toBe(true);
  });

  it("re-pulls a status the target changed without telling (a lost webhook), through the inbox", async () => {
    const [record] = await deliver(1, "east");
    if (!record) throw new Error("case");
    const ref = await refOf(record);
    east.setStatusSilently(ref, "COMPLETED");

    const first = await reconcile(true);
    expect(first.current.map((f) => [f.kind, f.autoRepairable])).toEqual([["status_differs", true]]);
    await settle();
    const [link] = await database.rows<{ field_status: string; written_back_status: string }>(
      sql`select field_status, written_back_status from links where external_ref = ${ref}`,
    );
    expect(link).toEqual({ field_status: "completed", written_back_status: "completed" });
    expect(caseSystem.cases.get(record.serviceRequestId)?.worksStatus).toBe("PUBLIC_WORKS_COMPLETED");
    expect((await reconcile(true)).current).toEqual([]);
  });

  it("leaves a target that went backwards to an admin, and re-running changes only last-seen", async () => {
    const [record] = await deliver(1);
    if (!record) throw new Error("case");
    await statusEvent(record, "stara", "VALMIS");
    const ref = await refOf(record);
    stara.setStatusSilently(ref, "TYÖN_ALLA");

    const first = await reconcile(true);
    expect(first.current.map((f) => [f.kind, f.autoRepairable])).toEqual([["status_differs", false]]);
    expect(first.repairs.queued).toBe(0);
    const [before] = await findingRows();
    const second = await reconcile(true);
    expect(second.findings).toMatchObject({ seen: 1, opened: 0, resolved: 0 });
    const rows = await findingRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(before?.id);
    expect(rows[0]?.first_seen_at).toBe(before?.first_seen_at);
    expect((rows[0]?.last_seen_at ?? "") > (before?.last_seen_at ?? "")).toBe(true);
    expect(rows[0]?.repair_attempts).toBe(0);
  });

  it("does not re-send a finished work order the target lost: that is for an admin", async () => {
    const [record] = await deliver(1);
    if (!record) throw new Error("case");
    await statusEvent(record, "stara", "VALMIS");
    stara.orders.delete(await refOf(record));
    const report = await reconcile(true);
    expect(report.current.map((f) => [f.kind, f.autoRepairable])).toEqual([["missing_in_target", false]]);
    expect(report.repairs.queued).toBe(0);
    await settle();
    expect(stara.orders.size).toBe(0);
  });

  it("reports work orders Silta does not know, and closes the finding when they are gone", async () => {
    await deliver(1);
    stara.strays.push({ workOrderId: "ST-999", externalRef: "helsinki:nobody:stara", statusCode: "UUSI" });
    const first = await reconcile(true);
    expect(first.current.map((f) => [f.kind, f.subject, f.autoRepairable])).toEqual([
      ["missing_in_source", "stara:ST-999", false],
    ]);
    stara.strays.length = 0;
    const second = await reconcile(true);
    expect(second.current).toEqual([]);
    expect(second.findings.resolved).toBe(1);
  });

  it("re-posts a write-back the case system lost", async () => {
    const [record] = await deliver(1);
    if (!record) throw new Error("case");
    await statusEvent(record, "stara", "TYÖN_ALLA");
    caseSystem.dropWorksStatus(record.serviceRequestId);

    const first = await reconcile(true);
    expect(first.current.map((f) => [f.kind, f.autoRepairable])).toEqual([["write_back_missing", true]]);
    await settle();
    expect(caseSystem.cases.get(record.serviceRequestId)?.worksStatus).toBe("PUBLIC_WORKS_IN_PROGRESS");
    expect((await reconcile(true)).current).toEqual([]);
  });

  it("reads the case system in lists, and one case at a time only for what a list left out", async () => {
    const records = await deliver(3);
    for (const record of records) await statusEvent(record, "stara", "TYÖN_ALLA");
    const [listed, unlisted, gone] = records;
    if (!listed || !unlisted || !gone) throw new Error("cases");
    caseSystem.dropWorksStatus(listed.serviceRequestId);
    caseSystem.unlisted.add(unlisted.serviceRequestId);
    caseSystem.dropWorksStatus(unlisted.serviceRequestId);
    caseSystem.cases.delete(gone.serviceRequestId);
    const readsBefore = { ...caseSystem.reads };

    const report = await reconcile(false);
    expect(caseSystem.reads.getCases - readsBefore.getCases).toBe(1);
    expect(caseSystem.reads.getCase - readsBefore.getCase).toBe(2);
    expect(report.caseSystem.lookedUp).toBe(3);
    const bySubject = new Map(report.current.map((f) => [f.caseId, f.kind]));
    expect(bySubject.get(listed.serviceRequestId)).toBe("write_back_missing");
    expect(bySubject.get(unlisted.serviceRequestId)).toBe("write_back_missing");
    expect(bySubject.get(gone.serviceRequestId)).toBe("status_differs");
  });

  it("re-posts a field status that was never written back (its job gone)", async () => {
    const [record] = await deliver(1);
    if (!record) throw new Error("case");
    const ref = await refOf(record);
    await database.rows(
      sql`update links set field_status = 'received', field_status_code = 'VASTAANOTETTU' where external_ref = ${ref}`,
    );
    stara.setStatusSilently(ref, "VASTAANOTETTU");
    const first = await reconcile(true);
    expect(first.current.map((f) => [f.kind, f.autoRepairable])).toEqual([["write_back_missing", true]]);
    await settle();
    const [link] = await database.rows<{ written_back_status: string }>(
      sql`select written_back_status from links where external_ref = ${ref}`,
    );
    expect(link?.written_back_status).toBe("received");
    expect((await reconcile(true)).current).toEqual([]);
  });

  it("flags stale links and SLA breaches from the target's clocks, with one ledger entry per breach", async () => {
    const [silent, slow] = await deliver(2);
    if (!silent || !slow) throw new Error("cases");
    await database.rows(
      sql`update links set field_status_at = now() - interval '2 hours', updated_at = now() - interval '2 hours' where case_id = ${silent.serviceRequestId}`,
    );
    await database.rows(
      sql`update cases set snapshot = jsonb_set(snapshot, '{requestedAt}', '"2020-01-01T09:00:00+02:00"') where id = ${slow.serviceRequestId}`,
    );
    const first = await reconcile(true);
    const kinds = first.current.map((f) => `${f.kind}:${f.caseId === silent.serviceRequestId ? "silent" : "slow"}`).sort();
    expect(kinds).toEqual(["sla_breach:slow", "stale:silent"]);
    expect(first.current.every((f) => !f.autoRepairable)).toBe(true);
    await reconcile(true);
    const [breaches] = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from ledger_entries where operation = 'sla_breach' and case_id = ${slow.serviceRequestId}`,
    );
    expect(breaches?.n).toBe(1);
    // The contractor acknowledges: the stale finding closes itself.
    await statusEvent(silent, "stara", "VASTAANOTETTU");
    const third = await reconcile(true);
    expect(third.current.map((f) => f.kind)).toEqual(["sla_breach"]);
  });

  it("flags a create that has failed for longer than the target's acknowledgement time as stale", async () => {
    const [record] = await deliver(1);
    if (!record) throw new Error("case");
    await database.rows(sql`update links set state = 'pending' where case_id = ${record.serviceRequestId}`);
    await database.rows(
      sql`update outbox_jobs set state = 'pending', run_at = now() + interval '1 hour', first_attempt_at = now() - interval '2 hours',
            last_error_code = 'target_unavailable'
          where case_id = ${record.serviceRequestId} and kind = 'create_work_order'`,
    );
    const report = await reconcile(true);
    expect(report.current.map((f) => f.kind)).toEqual(["stale"]);
    const [row] = await database.rows<{ detail: { why: string; lastErrorCode: string } }>(
      sql`select detail from reconciliation_findings where kind = 'stale'`,
    );
    expect(row?.detail).toMatchObject({ why: "not_delivered", lastErrorCode: "target_unavailable" });
    // A fresh attempt (a re-drive, or reconciliation's own re-send) starts the clock again.
    await database.rows(
      sql`update outbox_jobs set first_attempt_at = null, run_at = now() + interval '1 hour' where case_id = ${record.serviceRequestId}`,
    );
    expect((await reconcile(true)).current).toEqual([]);
  });

  it("holds a page of links at a time and finds the same drift as with one page", async () => {
    const staraCases = await deliver(6);
    const eastCases = await deliver(3, "east");
    const [lost, ahead, duplicated, unwritten] = staraCases;
    const [eastLost] = eastCases;
    if (!lost || !ahead || !duplicated || !unwritten || !eastLost) throw new Error("cases");
    await statusEvent(unwritten, "stara", "TYÖN_ALLA");
    caseSystem.dropWorksStatus(unwritten.serviceRequestId);
    stara.orders.delete(await refOf(lost));
    stara.setStatusSilently(await refOf(ahead), "TYÖN_ALLA");
    east.orders.delete(await refOf(eastLost));
    // A second order under a known reference, listed on the first page, before the link's own order.
    const duplicateRef = await refOf(duplicated);
    const listed = [...stara.orders];
    stara.orders.clear();
    stara.orders.set("duplicate", { workOrderId: "ST-DUP", externalRef: duplicateRef, statusCode: "UUSI" });
    for (const [ref, order] of listed) stara.orders.set(ref, order);
    const seen = (report: Awaited<ReturnType<typeof reconcile>>) => report.current.map((f) => `${f.kind} ${f.subject}`).sort();

    const paged = await reconcileOpenLinks(deps, { repair: false, writeBackGraceMs: 0, pageSize: 2 });
    expect(paged.links).toBe(9);
    expect(seen(paged)).toEqual(
      [
        `missing_in_target ${await refOf(lost)}`,
        `status_differs ${await refOf(ahead)}`,
        "missing_in_source stara:ST-DUP",
        `write_back_missing ${await refOf(unwritten)}@case-system`,
        `missing_in_target ${await refOf(eastLost)}`,
      ].sort(),
    );
    expect(paged.caseSystem.lookedUp).toBe(9);
    const whole = await reconcileOpenLinks(deps, { repair: false, writeBackGraceMs: 0, pageSize: 1000 });
    expect(seen(whole)).toEqual(seen(paged));
    expect(whole.findings.opened).toBe(0);
  });

  it("does not call a link missing when it changed while the target was being listed", async () => {
    const [record] = await deliver(1);
    if (!record) throw new Error("case");
    const ref = await refOf(record);
    const listing = stara.listWorkOrders;
    if (!listing) throw new Error("stara lists");
    // The link is forwarded while the listing runs, after the pages that would have shown its order.
    stara.orders.delete(ref);
    stara.listWorkOrders = async (cursor) => {
      await database.rows(sql`update links set updated_at = now() where external_ref = ${ref}`);
      return listing(cursor);
    };
    expect((await reconcile(false)).current).toEqual([]);
    stara.listWorkOrders = listing;
    // The next run sees the link at rest, and the order still gone.
    expect((await reconcile(false)).current.map((f) => [f.kind, f.subject])).toEqual([["missing_in_target", ref]]);
  });

  it("stores nothing from a target whose list fails part-way", async () => {
    await deliver(3);
    const listed = [...stara.orders];
    stara.orders.clear();
    stara.orders.set("stray", { workOrderId: "ST-STRAY", externalRef: "helsinki:nobody:stara", statusCode: "UUSI" });
    for (const [ref, order] of listed) stara.orders.set(ref, order);
    const listing = stara.listWorkOrders;
    if (!listing) throw new Error("stara lists");
    stara.listWorkOrders = async (cursor) => {
      if (cursor !== null) throw new Error("down after the first page");
      return listing(cursor);
    };
    const report = await reconcile(false);
    stara.listWorkOrders = listing;
    expect(Object.keys(report.targets.unreadable)).toEqual(["stara"]);
    expect(report.current).toEqual([]);
    expect(await findingRows()).toEqual([]);
    // Read whole, the stray on the first page is reported.
    expect((await reconcile(false)).current.map((f) => f.subject)).toEqual(["stara:ST-STRAY"]);
  });

  it("keeps the findings of a target it could not read", async () => {
    const [record] = await deliver(1);
    if (!record) throw new Error("case");
    stara.orders.delete(await refOf(record));
    await reconcile(false);
    const failing = stara.listWorkOrders;
    stara.listWorkOrders = async () => {
      throw new Error("down");
    };
    const report = await reconcile(false);
    expect(Object.keys(report.targets.unreadable)).toEqual(["stara"]);
    expect((await findingRows()).map((f) => f.state)).toEqual(["open"]);
    stara.listWorkOrders = failing;
  });
});
