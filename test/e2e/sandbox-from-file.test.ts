import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { describeUnsettled } from "../../src/sandbox/progress.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { runUntilSettled } from "../../src/sandbox/settle.ts";
import { summarizeSandbox } from "../../src/sandbox/summary.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { HELSINKI_DATA_DIR } from "../support/paths.ts";

let sandbox: Sandbox | undefined;
let database: TestDatabase | undefined;
afterAll(async () => {
  await sandbox?.stop();
  await database?.dispose();
});

it("runs real Helsinki records (2014–2016) through the bridge: old windows are walked, handed-off cases excluded", async () => {
  database = await createTestDatabase();
  const notes: string[] = [];
  sandbox = await startSandbox({
    seed: 5,
    cases: 0,
    fromFile: join(HELSINKI_DATA_DIR, "helsinki-requests-2014-2016-reconstructed-subset.json"),
    database,
    port: 0,
    mappingsDir: MAPPINGS_DIR,
    pollIntervalMs: 300,
    fieldDelayMs: { min: 10, max: 80 },
    cancelFraction: 0,
    say: (line) => notes.push(line),
  });
  expect(notes[0]).toMatch(/^loaded 101 records/);
  const settled = await runUntilSettled(sandbox, { timeoutMs: 60_000, pollIntervalMs: 300 });
  expect(settled, settled ? "" : JSON.stringify(await describeUnsettled(sandbox.database))).toBe(true);
  const summary = await summarizeSandbox(sandbox, { seed: 5, settled: true, seconds: 0 });
  expect(summary).toMatchObject({ cases: 101, lost: 0, duplicateWorkOrders: 0, ledgerBalanced: true, personalDataLeaks: 0 });
  // Most real records already carry a PUBLIC_WORKS_* state: another system routed them.
  expect(summary.excluded).toBeGreaterThan(summary.routed);
  expect(summary.routed).toBeGreaterThan(0);
}, 90_000);
