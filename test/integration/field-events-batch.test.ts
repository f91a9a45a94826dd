import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyPendingFieldEvents, recordFieldEvents } from "../../src/domain/field-status/apply-events.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runDueJobs } from "../../src/domain/jobs/lifecycle.ts";
import type { CaseRecord } from "../../src/ports/case-system.ts";
import type { FieldEvent } from "../../src/ports/work-order-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

const CODES = ["RECEIVED", "IN_PROGRESS", "COMPLETED", "SCHEDULED_LATER", "NO_ACTION", "BOGUS_CODE", "SENT", "WRONG_CONTRACTOR"];

/** Three forwarded work orders of contractor-east, then `events` recorded in its inbox. */
async function inboxWith(
  records: CaseRecord[],
  events: (refIndex: number) => FieldEvent[],
): Promise<{ database: TestDatabase; apply: (limit: number) => Promise<void> }> {
  const database = await createTestDatabase();
  const deps = makeDeps(database, new FakeCaseSystem(), [new FakeWorkOrderSystem("contractor-east")]);
  await ingestCases(deps, records);
  await runDueJobs(deps);
  const refs = (await database.rows<{ external_ref: string }>(sql`select external_ref from links order by id`)).map(
    (r) => r.external_ref,
  );
  const all = refs
    .flatMap((_, i) => events(i))
    .map((e) => ({ ...e, externalRef: refs[Number(e.externalRef)] ?? "helsinki:nope:contractor-east" }));
  await recordFieldEvents(database, "contractor-east", all, "hash");
  return {
    database,
    apply: async (limit) => {
      for (let round = 0; round < 200; round++) {
        const s = await applyPendingFieldEvents(deps, limit);
        if (s.applied + s.stale + s.quarantined + s.unknown_work_order === 0) return;
      }
    },
  };
}

async function outcome(database: TestDatabase) {
  return {
    inbox: await database.rows(sql`select event_id, state, reason from inbox_events order by event_id`),
    links: await database.rows(
      sql`select external_ref, field_status, field_status_code, case when field_status_code is null then null else field_status_at end as status_at from links order by id`,
    ),
    ledger: await database.rows(
      sql`select link_id, operation, outcome, error_code, idempotency_key, detail from ledger_entries where operation = 'field_status' order by idempotency_key`,
    ),
    jobs: await database.rows(sql`select dedupe_key, state from outbox_jobs where kind = 'write_back' order by dedupe_key`),
  };
}

describe("field events applied in batches", () => {
  it("leave the same inbox, links, ledger and write-back jobs as applying them one at a time", async () => {
    const event = fc.record({
      ref: fc.integer({ min: 0, max: 3 }), // 3 is a reference no link has
      code: fc.constantFrom(...CODES),
      minute: fc.integer({ min: 0, max: 30 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 2, maxLength: 25 }), async (drawn) => {
        const events = (refIndex: number) =>
          refIndex > 0
            ? []
            : drawn.map((d, n) => ({
                eventId: `e${String(n).padStart(3, "0")}`,
                externalRef: String(d.ref),
                workOrderId: null,
                statusCode: d.code,
                occurredAt: new Date(Date.UTC(2026, 10, 20, 10, d.minute)).toISOString(),
                note: null,
              }));
        const records = [makeCase(PLACES.east), makeCase(PLACES.east), makeCase(PLACES.east)];
        const oneByOne = await inboxWith(records, events);
        const batched = await inboxWith(records, events);
        try {
          await oneByOne.apply(1); // a chunk of one always takes the one-event path
          await batched.apply(100);
          expect(await outcome(batched.database)).toEqual(await outcome(oneByOne.database));
        } finally {
          await oneByOne.database.dispose();
          await batched.database.dispose();
        }
      }),
      { numRuns: 10, seed: 7 },
    );
  }, 90_000); // two databases per run
});
