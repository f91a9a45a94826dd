import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCases } from "../../adapters/open311/simulator/generate-cases.ts";
import type { PlantedPersonalData } from "../../adapters/open311/simulator/personal-data.ts";
import { reconcileOpenLinks } from "../../src/domain/reconcile/reconcile.ts";
import { createNodeLogger } from "../../src/runtime/logger-node.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { runUntilSettled } from "../../src/sandbox/settle.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import {
  canaryNeedles,
  describeHits,
  IDENTITY_CODES,
  type Needle,
  type Output,
  scanForCanaries,
  withCanaries,
} from "./support/canaries.ts";
import { citizenStoreOutputs, politeFetch, servedOutputs, simulatorOutputs, tableOutputs } from "./support/outputs.ts";

/**
 * S6 canary scan: the whole round trip on loopback (Open311 push and poll → Silta → Stara and contractors →
 * field events → write-back) with canary personal data in every citizen field and inside the
 * free texts of the cases, faults that leave retries, errors and a dead letter behind, admin
 * actions and a reconciliation run; then every output is searched for the canaries: every log
 * line, every row of every table but `cases`, `/metrics`, the admin API, the console, the
 * handler page, the contractors' feeds and what the simulators received.
 */
let sandbox: Sandbox;
let database: TestDatabase;
let settled = false;
const logLines: string[] = [];
const canaryCaseIds: string[] = [];
let needles: Needle[] = [];
let outputs: Output[] = [];

/**
 * A service code outside Stara's contract: Stara refuses the create with 422 every time and the
 * job is dead-lettered. (Long titles and RFC 2822 report times used to do this; Silta now
 * shortens the one and turns the other into ISO 8601 for Stara.)
 */
const POISON_SERVICE_CODE = "174";

beforeAll(async () => {
  database = await createTestDatabase();
  const log = createNodeLogger("debug", { write: (line: string) => void logLines.push(line) });
  sandbox = await startSandbox({
    seed: 31,
    cases: 8,
    // Cases reach Silta both ways: pushed as the city takes them, and read again by the poll.
    push: true,
    database,
    port: 0,
    mappingsDir: MAPPINGS_DIR,
    pollIntervalMs: 300,
    fieldDelayMs: { min: 10, max: 80 },
    cancelFraction: 0.1,
    log,
  });
  sandbox.stara.sim.setKnobs({ refusedServiceCodes: [POISON_SERVICE_CODE] });
  const now = Date.now();
  const generated = generateCases(IDENTITY_CODES.length + 1, {
    seed: 77,
    from: now - 60_000,
    to: now,
    fieldStatusWeights: [
      ["RECEIVED", 60],
      ["IN_PROCESS", 40],
    ],
  });
  const planted: PlantedPersonalData[] = [];
  for (const [index, { record, planted: data }] of withCanaries(generated).entries()) {
    if (index === 0) {
      // Parks and forests are Stara's everywhere: this one goes to Stara and is refused.
      record.service_code = POISON_SERVICE_CODE;
    }
    canaryCaseIds.push(sandbox.helsinki.sim.addCase(record, { plantedPersonalData: data }));
    planted.push(data);
  }
  for (const stored of sandbox.helsinki.sim.store.cases.values()) {
    if (stored.plantedPersonalData) planted.push(stored.plantedPersonalData);
  }
  needles = canaryNeedles(planted);

  // Faults: retries with recorded errors at a contractor, 503s and broken answers at Stara.
  const west = sandbox.contractors.get("contractor-west");
  if (west) west.sim.knobs.errorRate = 0.3;
  sandbox.stara.sim.setKnobs({ errorRate: 0.1, malformedResponseRate: 0.1 });

  settled = await runUntilSettled(sandbox, { timeoutMs: 60_000, pollIntervalMs: 300 });
  // Faults off, so that reconciliation below reads the targets (the poison case stays refused).
  if (west) west.sim.knobs.errorRate = 0;
  sandbox.stara.sim.setKnobs({ errorRate: 0, malformedResponseRate: 0 });

  // Admin actions on the dead letter (audit rows), then a drift for reconciliation to find.
  const auth = { authorization: `Bearer ${sandbox.adminToken}`, "content-type": "application/json" };
  const [dead] = await sandbox.database.rows<{ id: number }>(sql`select id from outbox_jobs where state = 'dead' limit 1`);
  if (dead) {
    await politeFetch(`${sandbox.silta.url}/api/admin/v1/failures/${dead.id}/acknowledge`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ note: "Stara refuses the long description; asked the desk to shorten it" }),
    });
    await politeFetch(`${sandbox.silta.url}/api/admin/v1/failures/${dead.id}/replay`, { method: "POST", headers: auth });
    await runUntilSettled(sandbox, { timeoutMs: 20_000, pollIntervalMs: 300 });
  }
  const [forwarded] = await sandbox.database.rows<{ work_order_id: string }>(
    sql`select work_order_id from links where target = 'stara' and state = 'forwarded' and work_order_id is not null limit 1`,
  );
  if (forwarded) sandbox.stara.sim.dropWorkOrder(forwarded.work_order_id);
  await reconcileOpenLinks(sandbox.silta.deps, { repair: false });

  const caseIds = (await sandbox.database.rows<{ id: string }>(sql`select id from cases order by id`)).map((r) => r.id);
  outputs = [
    ...logLines.map((line, index) => ({ place: `log line ${index + 1}`, text: line })),
    ...(await tableOutputs(sandbox)),
    ...simulatorOutputs(sandbox),
    ...(await servedOutputs(sandbox, caseIds)),
  ];
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
  await database?.dispose();
});

describe("canary scan of every output (S6)", () => {
  it("the run exercised every path: routed and excluded cases, deliveries, errors, a dead letter, field events, audit, findings", async () => {
    expect(settled).toBe(true);
    // Pushed, canaries included (they are the whole of the later additions), with nothing given up.
    expect(sandbox.helsinki.sim.state().push).toMatchObject({ gaveUpRecords: 0 });
    expect(sandbox.helsinki.sim.state().push.delivered).toBeGreaterThan(0);
    const [counts] = await sandbox.database.rows<Record<string, number>>(sql`select
      (select count(*)::int from cases where id in ${sql.raw(`(${canaryCaseIds.map((id) => `'${id}'`).join(",")})`)}) as canary_cases,
      (select count(*)::int from cases where disposition = 'excluded') as excluded,
      (select count(*)::int from links where state = 'forwarded') as forwarded,
      (select count(*)::int from outbox_jobs where state = 'dead') as dead,
      (select count(*)::int from outbox_jobs where last_error is not null) as errored,
      (select count(*)::int from ledger_entries where error_code is not null) as ledger_errors,
      (select count(*)::int from inbox_events) as inbox,
      (select count(*)::int from audit_events) as audit,
      (select count(*)::int from reconciliation_findings) as findings`);
    expect(counts).toMatchObject({ canary_cases: canaryCaseIds.length });
    for (const key of ["excluded", "forwarded", "dead", "errored", "ledger_errors", "inbox", "audit", "findings"]) {
      expect(counts?.[key], key).toBeGreaterThan(0);
    }
    expect(logLines.length).toBeGreaterThan(50);
    expect(sandbox.stara.sim.store.size()).toBeGreaterThan(0);
    for (const contractor of sandbox.contractors.values()) expect(contractor.sim.store.orders().length).toBeGreaterThan(0);
  });

  it("the canaries went in: every one is in the citizen-data store, so a 0 below means something", async () => {
    const stored = await citizenStoreOutputs(sandbox);
    const found = new Set(scanForCanaries(stored, needles).map((h) => h.value));
    // Our own canaries (the generated cases' names are stored as separate first and last names).
    const missing = canaryNeedles()
      .filter((n) => !found.has(n.value) && !(n.kind === "phone" && /^[+0-9]+$/.test(n.value)))
      .map((n) => n.value);
    expect(missing).toEqual([]);
    for (const code of IDENTITY_CODES) expect(found.has(code), code).toBe(true);
  });

  it("finds 0 canaries in logs, tables other than cases, metrics, admin API, console, handler page, feeds and target payloads", () => {
    const places = new Set(outputs.map((o) => o.place.replace(/ (row|line|order|update) .*$| \/.*$/, "")));
    // The scan covered each kind of output (not an empty list that trivially has no hits).
    for (const kind of ["log", "table ledger_entries", "table outbox_jobs", "table inbox_events", "table audit_events"]) {
      expect(
        [...places].some((p) => p.startsWith(kind)),
        kind,
      ).toBe(true);
    }
    const hits = scanForCanaries(outputs, needles);
    expect(hits.length, `personal data found outside the citizen-data store:\n${describeHits(hits)}`).toBe(0);
  });

  it("the scanner itself reports a planted canary with its place", () => {
    const code = IDENTITY_CODES[2] ?? "";
    const hits = scanForCanaries([{ place: "test", text: `{"note":"hetu ${code}"}` }], needles);
    expect(hits).toMatchObject([{ place: "test", kind: "identity code", value: code }]);
  });
});
