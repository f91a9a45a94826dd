import { eq } from "drizzle-orm";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { cases, inboxEvents, ledgerEntries, links, outboxJobs } from "../../src/db/schema/index.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { applyPendingFieldEvents, recordFieldEvents } from "../../src/domain/field-status/apply-events.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import type { FieldEvent } from "../../src/ports/work-order-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

let database: TestDatabase;
let caseSystem: FakeCaseSystem;
let targets: Record<"stara" | "east" | "west", FakeWorkOrderSystem>;
let deps: SiltaDeps;

const settle = () => drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));

beforeEach(async () => {
  await database?.dispose();
  database = await createTestDatabase();
  caseSystem = new FakeCaseSystem();
  targets = {
    stara: new FakeWorkOrderSystem("stara"),
    east: new FakeWorkOrderSystem("contractor-east"),
    west: new FakeWorkOrderSystem("contractor-west"),
  };
  deps = makeDeps(database, caseSystem, Object.values(targets));
});
afterAll(async () => database?.dispose());

function event(ref: string, code: string, at: string, id = `${ref}:${code}:${at}`): FieldEvent {
  return { eventId: id, externalRef: ref, workOrderId: null, statusCode: code, occurredAt: at, note: null };
}

describe("intake and routing", () => {
  it("routes by service code and area, excludes what is not field work, and balances the ledger", async () => {
    const east = makeCase({ ...PLACES.east });
    const west = makeCase({ ...PLACES.west });
    const park = makeCase({ serviceCode: "174", ...PLACES.east });
    const fallback = makeCase({ ...PLACES.northCentral });
    const department = makeCase({ serviceCode: "2806" });
    const handedElsewhere = makeCase({ worksStatus: "PUBLIC_WORKS_NEW", detailedStatusRaw: "PROCESSED,PUBLIC_WORKS_NEW" });

    const summary = await ingestCases(deps, [east, west, park, fallback, department, handedElsewhere]);
    expect(summary).toMatchObject({ new: 6, routed: 4, excluded: 2 });

    const routed = await database.db.select({ caseId: links.caseId, target: links.target }).from(links);
    const byCase = Object.fromEntries(routed.map((r) => [r.caseId, r.target]));
    expect(byCase[east.serviceRequestId]).toBe("contractor-east");
    expect(byCase[west.serviceRequestId]).toBe("contractor-west");
    expect(byCase[park.serviceRequestId]).toBe("stara");
    expect(byCase[fallback.serviceRequestId]).toBe("stara");

    const excluded = await database.db.select().from(cases).where(eq(cases.disposition, "excluded"));
    expect(Object.fromEntries(excluded.map((c) => [c.id, c.dispositionReason]))).toEqual({
      [department.serviceRequestId]: "not_field_work",
      [handedElsewhere.serviceRequestId]: "handed_elsewhere",
    });

    const balance = await checkLedgerBalance(database);
    expect(balance.violations).toEqual([]);
    expect(balance.accounts).toMatchObject({ in_flight: 4, excluded: 2 });
  });

  it("ingesting the same case twice (overlapping windows) creates one link and one work order", async () => {
    const record = makeCase({ ...PLACES.east });
    await ingestCases(deps, [record]);
    const second = await ingestCases(deps, [record, { ...record }]);
    expect(second).toMatchObject({ unchanged: 2, new: 0 });
    await settle();
    expect(targets.east.orders.size).toBe(1);
    expect(targets.east.calls.create).toBe(1);
    expect(await database.db.select().from(links)).toHaveLength(1);
  });
});

describe("intake by several processes at once", () => {
  it("two pollers taking in the same window create each case, link and job once", async () => {
    const records = Array.from({ length: 60 }, (_, i) => makeCase(i % 2 === 0 ? PLACES.east : PLACES.west));
    const other = makeDeps(database, caseSystem, Object.values(targets));
    const [a, b] = await Promise.all([ingestCases(deps, records), ingestCases(other, records)]);
    expect((a?.new ?? 0) + (b?.new ?? 0)).toBe(60);
    expect(await database.db.select().from(links)).toHaveLength(60);
    expect(await database.db.select().from(outboxJobs)).toHaveLength(60);
    expect((await checkLedgerBalance(database)).violations).toEqual([]);
  });

  it("two pollers taking in the same changed cases update each once, withdraw the withdrawn, and store the new content", async () => {
    const records = Array.from({ length: 40 }, (_, i) => makeCase(i % 2 === 0 ? PLACES.east : PLACES.west));
    await ingestCases(deps, records);
    // Every case changes; every fourth is withdrawn by the city (a desk status that cancels).
    const changed = records.map((r, i) =>
      i % 4 === 0
        ? { ...r, status: "closed" as const, deskStatus: "REJECTED", detailedStatusRaw: "REJECTED" }
        : { ...r, description: `${r.description} (edited)` },
    );
    const other = makeDeps(database, caseSystem, Object.values(targets));
    // In opposite orders: the batch sorts by id, so the two cannot deadlock.
    const [a, b] = await Promise.all([ingestCases(deps, changed), ingestCases(other, [...changed].reverse())]);
    expect((a?.updated ?? 0) + (b?.updated ?? 0)).toBe(40);
    expect((a?.unchanged ?? 0) + (b?.unchanged ?? 0)).toBe(40);
    expect((a?.cancelled ?? 0) + (b?.cancelled ?? 0)).toBe(10);
    const changes = await database.db.select().from(ledgerEntries).where(eq(ledgerEntries.detail, "changed"));
    expect(changes).toHaveLength(40);
    const stored = await database.db.select().from(cases);
    const byId = new Map(changed.map((r) => [r.serviceRequestId, r]));
    for (const row of stored) {
      const expected = byId.get(row.id);
      expect(row.snapshot).toEqual(expected);
      expect(row.deskStatus).toBe(expected?.deskStatus ?? null);
    }
    expect(await database.db.select().from(outboxJobs).where(eq(outboxJobs.kind, "cancel_work_order"))).toHaveLength(10);
    expect((await checkLedgerBalance(database)).violations).toEqual([]);
  });
});

describe("delivery", () => {
  it("creates the work order with the deterministic key, sends only allowlisted and scrubbed fields, writes back 'sent'", async () => {
    const record = makeCase({
      ...PLACES.east,
      description: "Kuoppa. Soita 040 123 4567 tai matti@example.fi, hetu 010190-123A.",
      reporter: { firstName: "Matti", lastName: "Meikäläinen", email: "matti@example.fi", phone: "0401234567" },
    });
    await ingestCases(deps, [record]);
    await settle();
    const ref = `helsinki:${record.serviceRequestId}:contractor-east`;
    const stored = targets.east.orders.get(ref);
    expect(stored?.payload.description).toBe("Kuoppa. Soita [phone removed] tai [email removed], hetu [personal id removed].");
    expect(stored?.payload).not.toHaveProperty("reporterEmail");
    expect(stored?.payload).not.toHaveProperty("requestedAt"); // not in the contractor's allowlist
    expect(JSON.stringify(stored?.payload)).not.toMatch(/Matti|040 123|010190/);

    const [link] = await database.db.select().from(links);
    expect(link).toMatchObject({ state: "forwarded", fieldStatus: "sent", writtenBackStatus: "sent", workOrderId: "WO-1" });
    expect(caseSystem.updates).toEqual([
      expect.objectContaining({
        serviceRequestId: record.serviceRequestId,
        status: "IN_PROGRESS",
        externalStatusCode: "PUBLIC_WORKS_NEW",
      }),
    ]);
    const ledger = await database.db.select().from(ledgerEntries);
    expect(JSON.stringify(ledger)).not.toMatch(/Matti|matti@|040 123|010190/);
  });

  it("retries a transient failure and parks a permanent one with its reason", async () => {
    const flaky = makeCase({ ...PLACES.east });
    const poison = makeCase({ ...PLACES.west });
    targets.east.failures.push({ error: new SiltaError("target_server_error", "503", { httpStatus: 503 }) });
    targets.east.failures.push({ error: new SiltaError("target_server_error", "503", { httpStatus: 503 }) });
    targets.west.failures.push({ error: new SiltaError("target_rejected", "HTTP 422: kuvaus puuttuu", { httpStatus: 422 }) });
    await ingestCases(deps, [flaky, poison]);
    await settle();

    expect(targets.east.orders.size).toBe(1);
    const all = await database.db.select().from(links);
    const parked = all.find((l) => l.caseId === poison.serviceRequestId);
    expect(parked).toMatchObject({ state: "parked", parkedCode: "target_rejected" });
    expect(parked?.parkedReason).toContain("422");
    const [deadJob] = await database.db.select().from(outboxJobs).where(eq(outboxJobs.state, "dead"));
    expect(deadJob?.lastErrorCode).toBe("target_rejected");
    const balance = await checkLedgerBalance(database);
    expect(balance).toMatchObject({ balanced: true, accounts: expect.objectContaining({ forwarded: 1, parked: 1 }) });
  });

  it("after an indeterminate create (committed, answer lost) looks up instead of creating twice", async () => {
    const record = makeCase({ ...PLACES.east });
    targets.east.failures.push({ error: new SiltaError("target_timeout", "timed out"), commitThenFail: true });
    await ingestCases(deps, [record]);
    await settle();
    const stored = [...targets.east.orders.values()];
    expect(stored).toHaveLength(1);
    expect(stored[0]?.creates).toBe(1);
    expect(targets.east.calls.find).toBeGreaterThanOrEqual(1);
    const [link] = await database.db.select().from(links);
    expect(link?.state).toBe("forwarded");
  });

  it("parks after the retry horizon", async () => {
    deps = makeDeps(database, caseSystem, Object.values(targets), { retry: { baseMs: 1, capMs: 2, horizonMs: 0 } });
    // Two failures: the first attempt and its one quick in-call retry.
    targets.east.failures.push({ error: new SiltaError("target_unavailable", "connection refused") });
    targets.east.failures.push({ error: new SiltaError("target_unavailable", "connection refused") });
    await ingestCases(deps, [makeCase({ ...PLACES.east })]);
    await settle();
    const [link] = await database.db.select().from(links);
    expect(link).toMatchObject({ state: "parked", parkedCode: "target_unavailable" });
  });
});

describe("field status", () => {
  async function deliveredLink() {
    const record = makeCase({ ...PLACES.east });
    await ingestCases(deps, [record]);
    await settle();
    return { record, ref: `helsinki:${record.serviceRequestId}:contractor-east` };
  }

  it("applies events once and in order, ignores stale ones, and writes back the latest status", async () => {
    const { ref } = await deliveredLink();
    const received = event(ref, "RECEIVED", "2026-11-20T10:00:00+02:00");
    const started = event(ref, "IN_PROGRESS", "2026-11-20T11:00:00+02:00");
    const done = event(ref, "COMPLETED", "2026-11-20T12:00:00+02:00");
    const first = await recordFieldEvents(database, "contractor-east", [done, received, received], "h1");
    expect(first).toEqual({ accepted: 2, duplicates: 1 });
    await settle();
    // Arrives after COMPLETED was applied: older and lower, so it must not move the status back.
    await recordFieldEvents(database, "contractor-east", [started], "h2");
    await settle();

    const [link] = await database.db.select().from(links);
    expect(link).toMatchObject({ fieldStatus: "completed", fieldStatusCode: "COMPLETED", writtenBackStatus: "completed" });
    const states = await database.db.select({ state: inboxEvents.state, code: inboxEvents.statusCode }).from(inboxEvents);
    expect(states.find((s) => s.code === "IN_PROGRESS")?.state).toBe("stale");
    expect(caseSystem.updates.at(-1)).toMatchObject({ status: "FIXED", externalStatusCode: "PUBLIC_WORKS_COMPLETED" });
  });

  it("quarantines an unknown status code instead of guessing", async () => {
    const { ref } = await deliveredLink();
    await recordFieldEvents(database, "contractor-east", [event(ref, "ALMOST_DONE", "2026-11-20T10:00:00+02:00")], "h");
    await settle();
    const [stored] = await database.db.select().from(inboxEvents);
    expect(stored).toMatchObject({ state: "quarantined", reason: "unknown status code ALMOST_DONE" });
    const [link] = await database.db.select().from(links);
    expect(link?.fieldStatus).toBe("sent");
  });

  it("refuses another contractor's work order", async () => {
    const { ref } = await deliveredLink();
    await recordFieldEvents(database, "contractor-west", [event(ref, "COMPLETED", "2026-11-20T10:00:00+02:00")], "h");
    await settle();
    const [stored] = await database.db.select().from(inboxEvents);
    expect(stored?.state).toBe("unknown_work_order");
    const [link] = await database.db.select().from(links);
    expect(link?.fieldStatus).toBe("sent");
  });

  it("re-routes a case handed back as wrong contractor", async () => {
    const { record, ref } = await deliveredLink();
    await recordFieldEvents(database, "contractor-east", [event(ref, "WRONG_CONTRACTOR", "2026-11-20T10:00:00+02:00")], "h");
    await settle();
    const all = await database.db.select().from(links).where(eq(links.caseId, record.serviceRequestId));
    expect(all.map((l) => [l.target, l.state]).sort()).toEqual([
      ["contractor-east", "rerouted"],
      ["stara", "forwarded"],
    ]);
    expect(targets.stara.orders.size).toBe(1);
    expect((await checkLedgerBalance(database)).balanced).toBe(true);
  });

  it("a hand-back applied before the create's outcome commits stays re-routed (the outcome only moves a pending link)", async () => {
    // The contractor's webhook can overtake the answer to the create: its events are applied
    // while the create job still waits to commit its outcome.
    const create = targets.east.createWorkOrder.bind(targets.east);
    targets.east.createWorkOrder = async (payload, key) => {
      const order = await create(payload, key);
      await recordFieldEvents(database, "contractor-east", [event(key, "WRONG_CONTRACTOR", "2026-11-20T10:00:00+02:00")], "h");
      expect(await applyPendingFieldEvents(deps)).toMatchObject({ applied: 1 });
      return order;
    };
    const record = makeCase({ ...PLACES.east });
    await ingestCases(deps, [record]);
    await settle();
    const all = await database.db.select().from(links).where(eq(links.caseId, record.serviceRequestId));
    expect(all.map((l) => [l.target, l.state]).sort()).toEqual([
      ["contractor-east", "rerouted"],
      ["stara", "forwarded"],
    ]);
    // The work order the contractor made is still on record, for the reconciliation.
    expect(all.find((l) => l.target === "contractor-east")?.workOrderId).toBe("WO-1");
    expect((await checkLedgerBalance(database)).balanced).toBe(true);
  });
});

describe("city-side changes", () => {
  it("cancels the work order when the city withdraws the case", async () => {
    const record = makeCase({ ...PLACES.east });
    await ingestCases(deps, [record]);
    await settle();
    const withdrawn = { ...record, status: "closed" as const, deskStatus: "REJECTED", detailedStatusRaw: "REJECTED" };
    expect(await ingestCases(deps, [withdrawn])).toMatchObject({ updated: 1, cancelled: 1 });
    await settle();
    expect([...targets.east.orders.values()][0]?.cancelled).toBe(true);
    const [link] = await database.db.select().from(links);
    expect(link).toMatchObject({ state: "cancelled", desired: "cancelled" });
    expect((await checkLedgerBalance(database)).accounts.cancelled).toBe(1);
  });

  it("keeps a finished field status when the city withdraws the case afterwards", async () => {
    const record = makeCase({ ...PLACES.east });
    await ingestCases(deps, [record]);
    await settle();
    const ref = `helsinki:${record.serviceRequestId}:contractor-east`;
    await recordFieldEvents(database, "contractor-east", [event(ref, "COMPLETED", "2026-11-20T10:00:00+02:00")], "h");
    await settle();
    await ingestCases(deps, [{ ...record, deskStatus: "REJECTED", detailedStatusRaw: "REJECTED" }]);
    await settle();
    expect(targets.east.calls.cancel).toBe(0);
    const [link] = await database.db.select().from(links);
    expect(link).toMatchObject({ state: "forwarded", fieldStatus: "completed", writtenBackStatus: "completed" });
  });

  it("does not send a case withdrawn before delivery", async () => {
    const record = makeCase({ ...PLACES.east });
    await ingestCases(deps, [record]);
    await ingestCases(deps, [{ ...record, deskStatus: "REJECTED", detailedStatusRaw: "REJECTED" }]);
    await settle();
    expect(targets.east.calls.create).toBe(0);
    const [link] = await database.db.select().from(links);
    expect(link?.state).toBe("cancelled");
  });
});
