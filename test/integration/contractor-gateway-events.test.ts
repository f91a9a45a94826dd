import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContractorGateway } from "../../src/domain/contractor-gateway.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce } from "../../src/domain/jobs/work-loop.ts";
import type { FieldEvent } from "../../src/ports/work-order-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { deliveredEastCase } from "../support/delivered-case.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());

const inbox = async () => (await database.rows<{ n: number }>(sql`select count(*)::int as n from inbox_events`))[0]?.n;

describe("contractor API events through the gateway", () => {
  it("stores an owned event once, scrubs its note, and stores nothing for another's order", async () => {
    const { deps, ref } = await deliveredEastCase(database);
    const gateway = createContractorGateway(database, deps.mappings);
    const event: FieldEvent = {
      eventId: "e-1",
      externalRef: ref,
      workOrderId: null,
      statusCode: "IN_PROGRESS",
      occurredAt: "2026-11-22T10:00:00Z",
      note: "Soita 040 1234567",
    };
    const facts = { key: "k-1", bodyHash: "hash-1" };

    expect(await gateway.recordEvent("contractor-east", event, facts)).toEqual({ outcome: "accepted", eventId: "e-1" });
    const [stored] = await database.rows<{ note: string | null; occurred_at: Date }>(
      sql`select note, occurred_at from inbox_events where event_id = 'e-1'`,
    );
    // The crew's note is scrubbed before it is stored, as on the webhook path.
    expect(stored?.note).not.toContain("1234567");
    expect(new Date(stored?.occurred_at ?? 0).toISOString()).toBe("2026-11-22T10:00:00.000Z");

    expect(await gateway.recordEvent("contractor-east", event, facts)).toEqual({ outcome: "replayed", eventId: "e-1" });
    expect(await gateway.recordEvent("contractor-east", event, { key: "k-1", bodyHash: "other" })).toEqual({
      outcome: "conflict",
    });
    const before = await inbox();
    expect(await gateway.recordEvent("contractor-west", { ...event, eventId: "e-2" }, facts)).toEqual({
      outcome: "not_found",
    });
    expect(await inbox()).toBe(before);
  });
});

describe("the contractor feed's cursor", () => {
  it("pages through rows updated within one millisecond without repeating or skipping any", async () => {
    const deps = makeDeps(database, new FakeCaseSystem(), [new FakeWorkOrderSystem("contractor-west")]);
    const records = Array.from({ length: 4 }, () => makeCase(PLACES.west));
    await ingestCases(deps, records);
    await runWorkOnce(deps);
    // The database stamps microseconds: four updates inside one millisecond, the later ids first.
    const ids = (
      await database.rows<{ id: number }>(sql`select id::int as id from links where target = 'contractor-west' order by id`)
    ).map((r) => r.id);
    for (const [i, id] of ids.entries())
      await database.db.execute(
        sql`update links set updated_at = timestamptz '2026-11-22 10:00:00.415' + ${(ids.length - i) * 100} * interval '1 microsecond' where id = ${id}`,
      );
    const gateway = createContractorGateway(database, deps.mappings);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result = await gateway.listFeed("contractor-west", cursor, 1);
      if (result.items.length === 0) break;
      seen.push(...result.items.map((item) => item.workOrder.serviceRequestId));
      cursor = result.nextCursor;
    }
    expect(seen.toSorted()).toEqual(records.map((r) => r.serviceRequestId).toSorted());
    // A cursor handed out before microseconds (milliseconds) still reads: everything after it.
    const legacy = await gateway.listFeed("contractor-west", `${Date.parse("2026-11-22T10:00:00.414Z")}.0`, 10);
    expect(legacy.items).toHaveLength(4);
  });
});
