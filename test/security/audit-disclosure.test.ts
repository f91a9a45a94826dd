import { and, asc, eq, like } from "drizzle-orm";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { auditEvents } from "../../src/db/schema/index.ts";
import { verifyAuditChain } from "../../src/domain/admin/audit-verify.ts";
import { createContractorGateway } from "../../src/domain/contractor-gateway.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, laterThan, makeCase, PLACES } from "../support/fakes.ts";

let database: TestDatabase;
let targets: Record<"stara" | "east" | "west", FakeWorkOrderSystem>;
let deps: SiltaDeps;

const settle = () => drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
const CANARY_TEXT = "Kuoppa Kanariankadulla";

beforeEach(async () => {
  await database?.dispose();
  database = await createTestDatabase();
  targets = {
    stara: new FakeWorkOrderSystem("stara"),
    east: new FakeWorkOrderSystem("contractor-east"),
    west: new FakeWorkOrderSystem("contractor-west"),
  };
  deps = makeDeps(database, new FakeCaseSystem(), Object.values(targets));
});
afterAll(async () => database?.dispose());

function disclosures(action?: string) {
  return database.db
    .select()
    .from(auditEvents)
    .where(action ? eq(auditEvents.action, action) : like(auditEvents.action, "disclosure.%"))
    .orderBy(asc(auditEvents.seq));
}

describe("disclosure audit (S7)", () => {
  it("a delivered work order leaves one row: the contractor, the field names, the case, the result; never values", async () => {
    const record = makeCase({
      ...PLACES.east,
      title: CANARY_TEXT,
      reporter: { firstName: "Kaija", lastName: "Kanarialintu", email: "kaija@example.org", phone: "+358401234567" },
    });
    await ingestCases(deps, [record]);
    await settle();
    const [row, ...more] = await disclosures();
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      actor: "contractor:contractor-east",
      action: "disclosure.create",
      subject: `helsinki:${record.serviceRequestId}:contractor-east`,
      result: "created",
      detail: { caseIds: [record.serviceRequestId] },
    });
    expect(row?.detail.fields).toEqual(
      expect.arrayContaining(["title", "description", "address", "location", "serviceRequestId"]),
    );
    const stored = JSON.stringify(row);
    for (const value of [CANARY_TEXT, "Kanarialintu", "kaija@example.org", "+358401234567", record.address ?? "-"])
      expect(stored).not.toContain(value);
    expect((await verifyAuditChain(database)).ok).toBe(true);
  });

  it("a cancel that reached the target and a create the target refused are recorded with their result", async () => {
    const cancelled = makeCase({ ...PLACES.east });
    await ingestCases(deps, [cancelled]);
    await settle();
    await ingestCases(deps, [{ ...cancelled, deskStatus: "REJECTED", updatedAt: laterThan(cancelled.updatedAt) }]);
    await settle();
    expect(await disclosures("disclosure.cancel")).toEqual([
      expect.objectContaining({
        actor: "contractor:contractor-east",
        result: "ok",
        detail: expect.objectContaining({ caseIds: [cancelled.serviceRequestId] }),
      }),
    ]);

    targets.west.failures.push({ error: new SiltaError("target_rejected", "422 from the contractor", { httpStatus: 422 }) });
    const refused = makeCase({ ...PLACES.west });
    await ingestCases(deps, [refused]);
    await settle();
    const rows = await database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "disclosure.create"), eq(auditEvents.actor, "contractor:contractor-west")));
    expect(rows.map((r) => r.result)).toEqual(["target_rejected"]);
  });

  it("the contractor API writes one row per feed page listing its ids, and one per work-order read", async () => {
    const records = [makeCase({ ...PLACES.east }), makeCase({ ...PLACES.east }), makeCase({ ...PLACES.east })];
    await ingestCases(deps, records);
    await settle();
    const before = (await disclosures()).length;
    const gateway = createContractorGateway(database, deps.mappings);

    const page = await gateway.listFeed("contractor-east", null, 2);
    expect(page.items).toHaveLength(2);
    const [feedRow, ...extra] = await disclosures("disclosure.feed");
    expect(extra).toEqual([]);
    expect(feedRow).toMatchObject({ actor: "contractor:contractor-east", subject: "feed:contractor-east", result: "ok" });
    expect(feedRow?.detail.workOrderIds).toEqual(page.items.map((i) => i.workOrder.workOrderId));
    expect(feedRow?.detail.fields).toEqual(expect.arrayContaining(["title", "description"]));

    // A page with nothing in it disclosed nothing: no row.
    const end = await gateway.listFeed(
      "contractor-east",
      (await gateway.listFeed("contractor-east", page.nextCursor, 10)).nextCursor,
      10,
    );
    expect(end.items).toEqual([]);
    expect(await disclosures("disclosure.feed")).toHaveLength(2);

    const ref = page.items[0]?.workOrder.workOrderId ?? "";
    expect(await gateway.getWorkOrder("contractor-east", ref)).not.toBeNull();
    expect(await gateway.getWorkOrder("contractor-west", ref)).toBeNull();
    expect(await disclosures("disclosure.read")).toEqual([
      expect.objectContaining({
        actor: "contractor:contractor-east",
        subject: ref,
        // The feed's order, not the intake order: on a server the creates commit in any order.
        detail: expect.objectContaining({ caseIds: [page.items[0]?.workOrder.serviceRequestId] }),
      }),
    ]);
    expect((await disclosures()).length).toBe(before + 3);
    expect((await verifyAuditChain(database)).ok).toBe(true);
  });
});
