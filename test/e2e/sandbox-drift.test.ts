import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { reconcileOpenLinks } from "../../src/domain/reconcile/reconcile.ts";
import { type DriftSummary, injectAndRepairDrift } from "../../src/sandbox/drift.ts";
import { describeUnsettled } from "../../src/sandbox/progress.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { runUntilSettled } from "../../src/sandbox/settle.ts";
import { sandboxPassed, summarizeSandbox } from "../../src/sandbox/summary.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";

/**
 * Drift over real HTTP: after the sandbox settles, the Stara and contractor simulators silently
 * lose work orders or finish them without a webhook; reconciliation must find every one and
 * repair it through the outbox and the inbox, with nothing duplicated.
 */
let sandbox: Sandbox;
let database: TestDatabase;
let settled = false;
let drift: DriftSummary;
/** The cases still moving when settling ended, for the failure message. */
let unsettled = "";

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = await startSandbox({
    seed: 21,
    cases: 20,
    database,
    port: 0,
    mappingsDir: MAPPINGS_DIR,
    pollIntervalMs: 300,
    fieldDelayMs: { min: 10, max: 100 },
    cancelFraction: 0,
  });
  settled = await runUntilSettled(sandbox, { timeoutMs: 60_000, pollIntervalMs: 300 });
  drift = await injectAndRepairDrift(sandbox, {
    count: 6,
    timeoutMs: 60_000,
    slowCrewMs: { minDelayMs: 2_000, maxDelayMs: 3_000 },
  });
  settled = settled && (await runUntilSettled(sandbox, { timeoutMs: 30_000, pollIntervalMs: 300 }));
  if (!settled) unsettled = JSON.stringify(await describeUnsettled(sandbox.database));
}, 150_000);

afterAll(async () => {
  await sandbox?.stop();
  await database?.dispose();
});

describe("sandbox with injected drift", () => {
  it("detects every drift and repairs every repairable one, with nothing lost or duplicated", async () => {
    expect(drift.injected).toBe(6);
    expect(drift.items.map((i) => i.kind).sort()).toEqual([
      "dropped_work_order",
      "dropped_work_order",
      "dropped_work_order",
      "silent_status_change",
      "silent_status_change",
      "silent_status_change",
    ]);
    expect(drift).toMatchObject({ detected: 6, repairable: 6, repaired: 6, open: 0 });
    const summary = await summarizeSandbox(sandbox, {
      seed: 21,
      settled,
      seconds: 0,
      drift: { injected: drift.injected, detected: drift.detected, repaired: drift.repaired, open: drift.open, repairable: 6 },
    });
    expect(summary, unsettled).toMatchObject({ lost: 0, duplicateWorkOrders: 0, ledgerBalanced: true, settled: true });
    expect(sandboxPassed(summary)).toBe(true);
  });

  it("a later run finds nothing, every finding is resolved, and the repairs are on record in the ledger", async () => {
    const after = await reconcileOpenLinks(sandbox.silta.deps, { repair: false });
    expect(after.current).toEqual([]);
    const open = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from reconciliation_findings where state <> 'resolved'`,
    );
    expect(open[0]?.n).toBe(0);
    const repairs = await database.rows<{ external_ref: string; operation: string }>(
      sql`select l.external_ref, e.operation from ledger_entries e join links l on l.id = e.link_id where e.outcome = 'requeued'`,
    );
    const refsOf = (kind: string) => drift.items.filter((i) => i.kind === kind).map((i) => i.externalRef);
    // Each lost order was re-sent exactly once; each silent change was re-pulled (a re-pull of a
    // status whose webhook was merely late is harmless, so other links may appear too).
    expect(
      repairs
        .filter((r) => r.operation === "create_work_order")
        .map((r) => r.external_ref)
        .sort(),
    ).toEqual(refsOf("dropped_work_order").sort());
    const repulled = new Set(repairs.filter((r) => r.operation === "field_status").map((r) => r.external_ref));
    for (const ref of refsOf("silent_status_change")) expect(repulled.has(ref)).toBe(true);
    expect((await checkLedgerBalance(database)).violationCount).toBe(0);
  });

  it("a summary with unrepaired drift fails the run", async () => {
    const summary = await summarizeSandbox(sandbox, {
      seed: 21,
      settled: true,
      seconds: 0,
      drift: { injected: 2, detected: 2, repaired: 1, open: 1, repairable: 2 },
    });
    expect(sandboxPassed(summary)).toBe(false);
  });
});
