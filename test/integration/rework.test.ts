import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, ledgerEntries, links } from "../../src/db/schema/index.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import type { CaseRecord } from "../../src/ports/case-system.ts";
import { laterThan, makeCase, PLACES } from "../support/fakes.ts";
import { createHttpFixture, HANDLER_TOKEN, type HttpFixture } from "./http-admin-fixture.ts";

/**
 * Rework: finished work that did not fix the fault gets a new cycle at the same target (a new
 * link of the next round, its own reference and work order), when the case is reopened at the
 * source, when the desk marks it not fixed, or when a handler asks on the case page. Work still
 * under way gets none, and the ledger balances with every cycle.
 */
let f: HttpFixture;
beforeAll(async () => {
  f = await createHttpFixture();
});
afterAll(async () => f?.dispose());

let eventSeq = 0;
async function fieldStatus(externalRef: string, status: string) {
  const response = await f.request(`/api/contractor/v1/work-orders/${encodeURIComponent(externalRef)}/events`, {
    method: "POST",
    token: f.keys.east,
    headers: { "idempotency-key": `rework-${++eventSeq}` },
    body: JSON.stringify({ status, occurredAt: new Date().toISOString() }),
  });
  expect(response.status).toBe(202);
  await f.settle();
}

const linksOf = (caseId: string) => f.database.db.select().from(links).where(eq(links.caseId, caseId)).orderBy(links.round);

/** A case delivered to contractor-east, then reported completed by the crew. */
async function finishedCase(): Promise<CaseRecord> {
  const record = makeCase({ ...PLACES.east });
  await f.deliver(record);
  const [link] = await linksOf(record.serviceRequestId);
  await fieldStatus(link?.externalRef ?? "", "COMPLETED");
  return record;
}

/** The case as the source changed it, taken in; returns it and how many cycles that opened. */
async function change(record: CaseRecord, patch: Partial<CaseRecord>): Promise<{ record: CaseRecord; reworked: number }> {
  const next = { ...record, ...patch, updatedAt: laterThan(record.updatedAt, 1) };
  const summary = await ingestCases(f.deps, [next]);
  await f.settle();
  return { record: next, reworked: summary.reworked };
}

describe("rework", () => {
  it("a finished case reopened at the source gets a second work order at the same contractor, linked to the first", async () => {
    const record = await finishedCase();
    const closed = await change(record, { status: "closed", deskStatus: "PROCESSED" });
    expect(closed.reworked).toBe(0);
    const reopened = await change(closed.record, { status: "open", deskStatus: "IN_PROCESS" });
    expect(reopened.reworked).toBe(1);

    const [first, second] = await linksOf(record.serviceRequestId);
    expect(first).toMatchObject({ round: 1, state: "forwarded", fieldStatus: "completed" });
    expect(second).toMatchObject({ round: 2, target: "contractor-east", state: "forwarded", fieldStatus: "sent" });
    expect(second?.externalRef).toBe(`${first?.externalRef}:r2`);
    expect(f.targets.east.orders.get(second?.externalRef ?? "")?.creates).toBe(1);
    expect(second?.workOrderId).not.toBe(first?.workOrderId);
    // The new work order names the one whose work did not fix it.
    expect(f.targets.east.orders.get(second?.externalRef ?? "")?.payload.previousExternalRef).toBe(first?.externalRef);
    const rework = await f.database.db
      .select()
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.caseId, record.serviceRequestId), eq(ledgerEntries.operation, "rework")));
    expect(rework.map((e) => e.detail)).toEqual(["round 2: the case was reopened at the source"]);

    // The same reopened record again changes nothing: no third cycle.
    expect(await ingestCases(f.deps, [reopened.record])).toMatchObject({ unchanged: 1, reworked: 0 });
    expect(await linksOf(record.serviceRequestId)).toHaveLength(2);
    // The ledger counts the cycle and still balances.
    expect(await checkLedgerBalance(f.database)).toMatchObject({ balanced: true, reworkCycles: 1 });
  });

  it("a desk state that means not fixed opens a cycle; reopening while the crew is still at work opens none", async () => {
    const record = await finishedCase();
    expect((await change(record, { deskStatus: "NOT_FIXED" })).reworked).toBe(1);

    const busy = makeCase({ ...PLACES.east });
    await f.deliver(busy);
    const [link] = await linksOf(busy.serviceRequestId);
    await fieldStatus(link?.externalRef ?? "", "IN_PROGRESS");
    const closed = await change(busy, { status: "closed" });
    expect((await change(closed.record, { status: "open" })).reworked).toBe(0);
    expect(await linksOf(busy.serviceRequestId)).toHaveLength(1);
  });

  it("a handler asks for rework on the case page: a new cycle, audited; asking again while it runs opens none", async () => {
    const record = await finishedCase();
    const page = await f.request(`/cases/${record.serviceRequestId}?lang=en&token=${HANDLER_TOKEN}`, { token: null });
    const html = await page.text();
    expect(html).toContain('id="rework"');
    const action = /<form method="post" action="([^"]+)" id="rework">/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? "";
    expect(action).toBe(`/cases/${record.serviceRequestId}/rework?lang=en&token=${HANDLER_TOKEN}`);

    const first = await f.request(action, { method: "POST", token: null });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toMatch(/notice=opened$/);
    await f.settle();
    const after = await (await f.request(first.headers.get("location") ?? "", { token: null })).text();
    expect(after).toContain("A new work cycle was opened");
    expect(await linksOf(record.serviceRequestId)).toHaveLength(2);

    const again = await f.request(action, { method: "POST", token: null });
    expect(again.headers.get("location")).toMatch(/notice=nothing_finished$/);
    expect(await linksOf(record.serviceRequestId)).toHaveLength(2);
    const audit = await f.database.db.select().from(auditEvents).where(eq(auditEvents.action, "case.rework"));
    expect(audit.map((row) => row.result)).toEqual(["opened", "nothing_finished"]);
    expect(audit[0]?.actor).toMatch(/^handler:/);

    expect((await f.request(`/cases/${record.serviceRequestId}/rework`, { method: "POST", token: null })).status).toBe(401);
    expect((await checkLedgerBalance(f.database)).balanced).toBe(true);
  });
});
