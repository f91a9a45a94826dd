import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxEvents, links } from "../../src/db/schema/index.ts";
import { generateWebhookSecret, signWebhook } from "../../src/lib/webhook-signature.ts";
import { describeUnsettled } from "../../src/sandbox/progress.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { runUntilSettled } from "../../src/sandbox/settle.ts";
import { summarizeSandbox } from "../../src/sandbox/summary.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";

/**
 * The whole bridge over real HTTP on loopback: Helsinki Open311 simulator → Silta (on the test
 * database: PGlite, or the server in DATABASE_URL) → Stara and contractor simulators → signed
 * webhooks and contractor events → write-back into the Open311 simulator.
 */
let sandbox: Sandbox;
let database: TestDatabase;
let settled = false;
/** The cases still moving when settling ended, for the failure message. */
let unsettled = "";

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = await startSandbox({
    seed: 11,
    cases: 40,
    database,
    port: 0,
    mappingsDir: MAPPINGS_DIR,
    pollIntervalMs: 300,
    fieldDelayMs: { min: 10, max: 120 },
    cancelFraction: 0.05,
    reworkFraction: 0.5,
  });
  settled = await runUntilSettled(sandbox, { timeoutMs: 60_000, pollIntervalMs: 300 });
  if (!settled) unsettled = JSON.stringify(await describeUnsettled(sandbox.database));
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
  await database?.dispose();
});

describe("sandbox round trip", () => {
  it("settles with nothing lost, nothing duplicated, the ledger balanced and no personal data at the targets", async () => {
    expect(settled, unsettled).toBe(true);
    const summary = await summarizeSandbox(sandbox, { seed: 11, settled, seconds: 0 });
    expect(summary).toMatchObject({ cases: 40, lost: 0, duplicateWorkOrders: 0, ledgerBalanced: true, personalDataLeaks: 0 });
    expect(summary.routed + summary.excluded).toBe(40);
    expect(summary.workOrdersCreated).toBeGreaterThanOrEqual(summary.routed - summary.cancelled);
    expect(summary.fieldStatusesWrittenBack).toBeGreaterThan(0);
    // A case's whole life: reopened cases got a second cycle, and cases reported days ago raised alarms.
    expect(summary.reworkCycles).toBeGreaterThan(0);
    expect(summary.alarmsRaised).toBeGreaterThan(0);
  });

  it("every routed case reached every kind of target through its own protocol", async () => {
    const targets = new Set((await sandbox.database.db.select({ target: links.target }).from(links)).map((l) => l.target));
    expect([...targets].sort()).toEqual(["contractor-east", "contractor-west", "stara"]);
    expect(sandbox.stara.sim.store.size()).toBeGreaterThan(0);
    for (const contractor of sandbox.contractors.values()) expect(contractor.sim.store.orders().length).toBeGreaterThan(0);
  });

  it("the case system shows the field status Silta wrote back", async () => {
    // A case with one work cycle and no parent: a rework round or a parent's status shared with
    // a duplicate may have written a later status to the case than this link's.
    const [finished] = await sandbox.database.db
      .select()
      .from(links)
      .where(
        and(
          eq(links.writtenBackStatus, "completed"),
          sql`not exists (select 1 from links o where o.case_id = ${links.caseId} and o.id <> ${links.id})`,
          sql`not exists (select 1 from cases c where c.id = ${links.caseId} and c.duplicate_of is not null)`,
        ),
      )
      .limit(1);
    expect(finished).toBeDefined();
    const response = await fetch(`${sandbox.helsinki.url}/requests/${finished?.caseId}.json?extensions=true`);
    const [record] = (await response.json()) as { extended_attributes: { detailed_status: string } }[];
    expect(record?.extended_attributes.detailed_status).toContain("PUBLIC_WORKS_COMPLETED");
  });

  it("serves a handler's view of a case with its whole timeline", async () => {
    const [link] = await sandbox.database.db.select().from(links).where(eq(links.state, "forwarded")).limit(1);
    const auth = { headers: { authorization: `Bearer ${sandbox.adminToken}` } };
    const response = await fetch(`${sandbox.silta.url}/api/v1/cases/${link?.caseId}`, auth);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { workOrders: { target: string }[]; timeline: { operation: string }[] };
    expect(body.workOrders[0]?.target).toBe(link?.target);
    expect(body.timeline.map((t) => t.operation)).toEqual(
      expect.arrayContaining(["intake", "route", "create_work_order", "field_status", "write_back"]),
    );
    expect((await fetch(`${sandbox.silta.url}/api/v1/cases/nosuchcase`, auth)).status).toBe(404);
    expect((await fetch(`${sandbox.silta.url}/api/v1/cases/${link?.caseId}`)).status).toBe(401);
  });

  it("refuses a forged status webhook before writing anything", async () => {
    const before = (await sandbox.database.db.select().from(inboxEvents)).length;
    const body = JSON.stringify({
      tapahtumat: [
        {
          tapahtuma_id: "forged-1",
          tunnus: "X",
          ulkoinen_viite: "helsinki:x:stara",
          tila: "VALMIS",
          aikaleima: new Date().toISOString(),
        },
      ],
    });
    const response = await fetch(`${sandbox.silta.url}/webhooks/stara`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signWebhook([generateWebhookSecret()], body, "forged-1") },
      body,
    });
    expect(response.status).toBe(401);
    const error = (await response.json()) as { error: { code: string } };
    expect(error.error.code).toBe("unauthorized");
    expect((await sandbox.database.db.select().from(inboxEvents)).length).toBe(before);
  });

  it("a contractor cannot read another contractor's work order", async () => {
    const [westOrder] = await sandbox.database.db.select().from(links).where(eq(links.target, "contractor-west")).limit(1);
    const key = sandbox.contractorKeys.get("contractor-east");
    if (!westOrder || !key) throw new Error("fixture missing: no west order or no east key");
    const response = await fetch(
      `${sandbox.silta.url}/api/contractor/v1/work-orders/${encodeURIComponent(westOrder.externalRef)}`,
      {
        headers: { authorization: `Bearer ${key}` },
      },
    );
    expect(response.status).toBe(404);
  });
});
