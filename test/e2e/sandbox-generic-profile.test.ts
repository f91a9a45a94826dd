import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { runUntilSettled } from "../../src/sandbox/settle.ts";
import { sandboxPassed, summarizeSandbox } from "../../src/sandbox/summary.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";

/**
 * The round trip against a generic GeoReport v2 server, not Helsinki's: lists in 100-row pages
 * newest first, no servicerequestupdates, `closed` meaning resolved. 150 cases arrive at once, a
 * burst larger than a page: reading only the first page would lose the 50 oldest.
 */
let sandbox: Sandbox;
let database: TestDatabase;
let settled = false;

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = await startSandbox({
    seed: 23,
    cases: 150,
    database,
    port: 0,
    mappingsDir: MAPPINGS_DIR,
    pollIntervalMs: 300,
    fieldDelayMs: { min: 10, max: 80 },
    cancelFraction: 0.05,
    open311Profile: "generic",
  });
  settled = await runUntilSettled(sandbox, { timeoutMs: 90_000, pollIntervalMs: 300 });
  await sandbox.reRead();
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  await database?.dispose();
});

describe("sandbox against a generic Open311 server", () => {
  it("accounts for every case at the source, loses and duplicates nothing, and balances", async () => {
    expect(settled).toBe(true);
    const summary = await summarizeSandbox(sandbox, { seed: 23, settled, seconds: 0 });
    expect(summary).toMatchObject({
      open311Profile: "generic",
      sourceCases: 150,
      accountedFor: 150,
      lost: 0,
      duplicateWorkOrders: 0,
      ledgerBalanced: true,
      fieldStatusesWrittenBack: 0,
    });
    expect(sandboxPassed(summary)).toBe(true);
  });

  it("turned write-back off at start instead of dead-lettering it", async () => {
    expect(sandbox.silta.deps.source?.writeBack.enabled).toBe(false);
    const [row] = await database.rows<{ dead: number; skipped: number }>(sql`
      select (select count(*)::int from outbox_jobs where kind = 'write_back' and state = 'dead') as dead,
        (select count(*)::int from ledger_entries where operation = 'write_back' and outcome = 'skipped') as skipped`);
    expect(row?.dead).toBe(0);
    expect(row?.skipped).toBeGreaterThan(0);
    expect(sandbox.helsinki.sim.store.updates.size).toBe(0);
  });
});
