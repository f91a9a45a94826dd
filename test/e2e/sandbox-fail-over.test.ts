import { afterAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { runUntilSettled } from "../../src/sandbox/settle.ts";
import { sandboxPassed, summarizeSandbox } from "../../src/sandbox/summary.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";

/**
 * `silta sandbox --fail-over contractor-west`: the contractor is down from the start, its work
 * orders reach a real SMTP server on loopback, it comes back, and nothing is created twice;
 * the alerts went out and recovered.
 */
let sandbox: Sandbox | undefined;
let database: TestDatabase | undefined;
afterAll(async () => {
  await sandbox?.stop();
  await database?.dispose();
});

describe("sandbox fail-over", () => {
  it("e-mails the down contractor's orders, brings it back without duplicates, and alerts and recovers", async () => {
    database = await createTestDatabase();
    sandbox = await startSandbox({
      seed: 12,
      cases: 60,
      database,
      port: 0,
      mappingsDir: MAPPINGS_DIR,
      pollIntervalMs: 300,
      fieldDelayMs: { min: 10, max: 80 },
      cancelFraction: 0,
      failOver: "contractor-west",
    });
    const settled = await runUntilSettled(sandbox, { timeoutMs: 120_000, pollIntervalMs: 300 });
    expect(settled).toBe(true);
    expect(sandbox.failOver?.returned).toBe(true);
    const summary = await summarizeSandbox(sandbox, { seed: 12, settled, seconds: 0 });
    expect(summary.fallback?.emailed).toBeGreaterThan(0);
    expect(summary.fallback).toEqual({
      emailed: summary.fallback?.emailed,
      smtpReceived: summary.fallback?.emailed,
      duplicatesAfterReturn: 0,
    });
    expect(summary.alerts?.raised).toBeGreaterThan(0);
    expect(summary.alerts?.delivered).toBeGreaterThan(0);
    expect(summary.alerts?.recovered).toBeGreaterThan(0);
    expect(summary).toMatchObject({ lost: 0, duplicateWorkOrders: 0, ledgerBalanced: true });
    expect(sandboxPassed(summary)).toBe(true);
    // The duty desk and the ops inbox got mail.
    const to = new Set(sandbox.failOver?.mailbox.map((m) => m.to));
    expect(to).toEqual(new Set(["duty@contractor-west.example", "ops@sandbox.example"]));
  }, 150_000);
});
