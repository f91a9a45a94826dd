import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordFieldEvents } from "../../src/domain/field-status/apply-events.ts";
import { type InboundEvent, storeInboundEvents } from "../../src/domain/field-status/inbox-writer.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { deliveredEastCase } from "../support/delivered-case.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());

const event = (over: Partial<InboundEvent>): InboundEvent => ({
  source: "contractor-east",
  eventId: "e",
  bodyHash: "h",
  externalRef: "none",
  workOrderId: null,
  statusCode: "IN_PROGRESS",
  occurredAt: "2026-11-22T10:00:00.000Z",
  note: null,
  requireOwner: true,
  ...over,
});

describe("inbound events stored together (group commit)", () => {
  it("answers each request as if it had been stored alone: owned, redelivered, duplicated within the batch", async () => {
    const { ref } = await deliveredEastCase(database);
    await storeInboundEvents(database, [event({ eventId: "early", externalRef: ref })]);

    // Started together: the first goes alone, the rest wait for it and share one statement.
    const answers = await Promise.all([
      storeInboundEvents(database, [event({ eventId: "a", externalRef: ref })]),
      storeInboundEvents(database, [event({ eventId: "b", externalRef: ref })]),
      storeInboundEvents(database, [event({ eventId: "early", externalRef: ref })]), // redelivered
      storeInboundEvents(database, [event({ eventId: "c", externalRef: ref, source: "contractor-west" })]), // not its order
      storeInboundEvents(database, [event({ eventId: "b", externalRef: ref, bodyHash: "other" })]), // same id in the batch
      storeInboundEvents(database, [
        event({ eventId: "s1", externalRef: "stara-ref", source: "stara", requireOwner: false }),
        event({ eventId: "s2", externalRef: "stara-ref", source: "stara", requireOwner: false }),
      ]),
    ]);
    expect(answers).toEqual([
      [{ owned: true, accepted: true }],
      [{ owned: true, accepted: true }],
      [{ owned: true, accepted: false }],
      [{ owned: false, accepted: false }],
      [{ owned: true, accepted: false }],
      [
        { owned: true, accepted: true },
        { owned: true, accepted: true },
      ],
    ]);
    const stored = await database.rows<{ source: string; event_id: string; body_hash: string }>(
      sql`select source, event_id, body_hash from inbox_events order by source, event_id`,
    );
    expect(stored).toEqual([
      { source: "contractor-east", event_id: "a", body_hash: "h" },
      { source: "contractor-east", event_id: "b", body_hash: "h" },
      { source: "contractor-east", event_id: "early", body_hash: "h" },
      { source: "stara", event_id: "s1", body_hash: "h" },
      { source: "stara", event_id: "s2", body_hash: "h" },
    ]);
  });

  it("stores a note with a lone surrogate and U+0000, cleaned, instead of refusing the batch", async () => {
    const note = "Kansi rikki \ud800 ja \u0000 loppu";
    const answer = await recordFieldEvents(
      database,
      "stara",
      [
        {
          eventId: "surrogate-1",
          externalRef: "helsinki:x:stara",
          workOrderId: "W-1",
          statusCode: "TYÖN_ALLA",
          occurredAt: "2026-11-22T10:00:00Z",
          note,
        },
      ],
      "h",
    );
    expect(answer).toEqual({ accepted: 1, duplicates: 0 });
    const [row] = await database.rows<{ note: string }>(sql`select note from inbox_events where event_id = 'surrogate-1'`);
    expect(row?.note).toBe("Kansi rikki \ufffd ja  loppu");
  });

  it("fails only the request that cannot be stored; the others sharing its batch are stored", async () => {
    const answers = await Promise.allSettled([
      storeInboundEvents(database, [event({ eventId: "x1", source: "stara", requireOwner: false })]),
      storeInboundEvents(database, [event({ eventId: "x2", source: "stara", requireOwner: false })]),
      storeInboundEvents(database, [event({ eventId: "x3", source: "stara", requireOwner: false, occurredAt: "not a time" })]),
      storeInboundEvents(database, [event({ eventId: "x4", source: "stara", requireOwner: false })]),
    ]);
    expect(answers.map((a) => a.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const ids = await database.rows<{ event_id: string }>(
      sql`select event_id from inbox_events where event_id like 'x%' order by event_id`,
    );
    expect(ids.map((r) => r.event_id)).toEqual(["x1", "x2", "x4"]);
  });
});
