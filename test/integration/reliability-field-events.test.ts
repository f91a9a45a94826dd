import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxEvents, ledgerEntries, links } from "../../src/db/schema/index.ts";
import { applyPendingFieldEvents, recordFieldEvents } from "../../src/domain/field-status/apply-events.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { createRng } from "../../src/lib/prng.ts";
import type { FieldEvent } from "../../src/ports/work-order-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());

describe("webhook duplicates, reordering and stale events (R2, R3)", () => {
  it("30 % duplicated and shuffled: each event applied once, the final status is the latest", async () => {
    const caseSystem = new FakeCaseSystem();
    const deps = makeDeps(database, caseSystem, [
      new FakeWorkOrderSystem("contractor-east"),
      new FakeWorkOrderSystem("contractor-west"),
      new FakeWorkOrderSystem("stara"),
    ]);
    const records = Array.from({ length: 8 }, () => makeCase({ ...PLACES.east }));
    await ingestCases(deps, records);
    await drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
    const rng = createRng(7);
    const base = Date.parse("2026-11-21T08:00:00Z");
    const deliveries: FieldEvent[] = [];
    for (const record of records) {
      const ref = `helsinki:${record.serviceRequestId}:contractor-east`;
      ["RECEIVED", "IN_PROGRESS", "COMPLETED"].forEach((code, step) => {
        const event: FieldEvent = {
          eventId: `${ref}:${step}`,
          externalRef: ref,
          workOrderId: null,
          statusCode: code,
          occurredAt: new Date(base + step * 60_000).toISOString(),
          note: null,
        };
        deliveries.push(event);
        if (rng.chance(0.3)) deliveries.push({ ...event });
      });
    }
    // Shuffle, then deliver in small webhooks with processing in between (events overtake each other).
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [deliveries[i], deliveries[j]] = [deliveries[j] as FieldEvent, deliveries[i] as FieldEvent];
    }
    let duplicates = 0;
    for (let i = 0; i < deliveries.length; i += 3) {
      const recorded = await recordFieldEvents(database, "contractor-east", deliveries.slice(i, i + 3), `h${i}`);
      duplicates += recorded.duplicates;
      await applyPendingFieldEvents(deps);
    }
    expect(duplicates).toBe(deliveries.length - records.length * 3);
    const inbox = await database.db.select().from(inboxEvents);
    expect(inbox).toHaveLength(records.length * 3);
    expect(inbox.every((e) => e.state === "applied" || e.state === "stale")).toBe(true);
    const statuses = await database.db.select({ fieldStatus: links.fieldStatus }).from(links);
    expect(statuses.every((l) => l.fieldStatus === "completed")).toBe(true);
    // Each event id has at most one ledger verdict.
    const verdicts = await database.db.select().from(ledgerEntries).where(eq(ledgerEntries.operation, "field_status"));
    const perEvent = new Map<string, number>();
    for (const v of verdicts) perEvent.set(v.idempotencyKey ?? "", (perEvent.get(v.idempotencyKey ?? "") ?? 0) + 1);
    expect([...perEvent.values()].every((n) => n === 1)).toBe(true);
    expect(perEvent.size).toBe(records.length * 3);
  });
});
