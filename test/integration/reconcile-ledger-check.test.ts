import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { DriftingTarget, WritableCaseSystem } from "./reconcile-fakes.ts";

let database: TestDatabase;
let deps: SiltaDeps;

beforeAll(async () => {
  database = await createTestDatabase();
  deps = makeDeps(database, new WritableCaseSystem(), [
    new DriftingTarget("stara", { listing: true, firstCode: "UUSI" }),
    new DriftingTarget("contractor-east", { listing: false, firstCode: "SENT" }),
    new DriftingTarget("contractor-west", { listing: false, firstCode: "SENT" }),
  ]);
});
afterAll(async () => database?.dispose());

describe("silta ledger check", () => {
  it("lists every case that breaks the balance invariant, each with its problem, and no other", async () => {
    const records = Array.from({ length: 7 }, () => makeCase({ ...PLACES.northCentral }));
    const [linkDeleted, entryDeleted, parkedNoReason, pendingNoJob, excludedNoReason, cancelledNoEntry, healthy] = records;
    const excluded = makeCase({ serviceCode: "2806" });
    await ingestCases(deps, [...records, excluded]);
    await drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
    expect((await checkLedgerBalance(database)).balanced).toBe(true);
    if (!linkDeleted || !entryDeleted || !parkedNoReason || !pendingNoJob || !excludedNoReason || !cancelledNoEntry || !healthy) {
      throw new Error("cases");
    }

    // Break six cases in six different ways, as a bug or a hand edit could.
    await database.rows(sql`delete from outbox_jobs where case_id = ${linkDeleted.serviceRequestId}`);
    await database.rows(sql`delete from links where case_id = ${linkDeleted.serviceRequestId}`);
    await database.rows(
      sql`delete from ledger_entries where case_id = ${entryDeleted.serviceRequestId} and operation = 'create_work_order'`,
    );
    await database.rows(
      sql`update links set state = 'parked', parked_reason = null where case_id = ${parkedNoReason.serviceRequestId}`,
    );
    await database.rows(sql`update links set state = 'pending' where case_id = ${pendingNoJob.serviceRequestId}`);
    await database.rows(
      sql`update cases set disposition = 'excluded', disposition_reason = null where id = ${excludedNoReason.serviceRequestId}`,
    );
    await database.rows(sql`update links set state = 'cancelled' where case_id = ${cancelledNoEntry.serviceRequestId}`);

    const balance = await checkLedgerBalance(database);
    expect(balance.balanced).toBe(false);
    const problems = Object.fromEntries(balance.violations.map((v) => [v.caseId, v.problem]));
    expect(problems).toEqual({
      [linkDeleted.serviceRequestId]: "routed but has no link",
      [entryDeleted.serviceRequestId]: "forwarded link without a successful create in the ledger",
      [parkedNoReason.serviceRequestId]: "parked link without a reason",
      [pendingNoJob.serviceRequestId]: "pending link without a delivery job",
      [excludedNoReason.serviceRequestId]: "excluded without a reason",
      [cancelledNoEntry.serviceRequestId]: "cancelled link without a cancellation in the ledger",
    });
    expect(balance.violationCount).toBe(6);
    expect(balance.cases).toBe(8);
    expect(balance.accounts).toMatchObject({ forwarded: 1, excluded: 1 });

    const cut = await checkLedgerBalance(database, { maxViolations: 2 });
    expect(cut.violations).toHaveLength(2);
    expect(cut.violationCount).toBe(6);
  });
});
