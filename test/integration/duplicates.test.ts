import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cases, links } from "../../src/db/schema/index.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { loadJobContexts } from "../../src/domain/jobs/lifecycle.ts";
import type { OutboxJob } from "../../src/domain/jobs/store.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import type { CaseRecord } from "../../src/ports/case-system.ts";
import { laterThan, makeCase, PLACES } from "../support/fakes.ts";
import { createHttpFixture, HANDLER_TOKEN, type HttpFixture } from "./http-admin-fixture.ts";

/**
 * Duplicates share their parent's work order: no second crew, the parent's field status written
 * back to every duplicate, and unlinking gives a case its own order again. The case system can
 * mark them (`duplicate_of`), or a handler links them on the case page.
 */
let f: HttpFixture;
beforeAll(async () => {
  f = await createHttpFixture();
});
afterAll(async () => f?.dispose());

let eventSeq = 0;
async function crewReports(externalRef: string, status: string) {
  const response = await f.request(`/api/contractor/v1/work-orders/${encodeURIComponent(externalRef)}/events`, {
    method: "POST",
    token: f.keys.east,
    headers: { "idempotency-key": `dup-${++eventSeq}` },
    body: JSON.stringify({ status, occurredAt: new Date().toISOString() }),
  });
  expect(response.status).toBe(202);
  await f.settle();
}

const linksOf = (caseId: string) => f.database.db.select().from(links).where(eq(links.caseId, caseId)).orderBy(links.id);
const caseRow = async (id: string) => (await f.database.db.select().from(cases).where(eq(cases.id, id)))[0];
const updatesFor = (caseId: string) =>
  f.caseSystem.updates.filter((u) => u.serviceRequestId === caseId).map((u) => u.externalStatusCode);
const ordersAtEast = () => f.targets.east.orders.size;

async function deliveredParent(): Promise<{ parent: CaseRecord; ref: string }> {
  const parent = makeCase({ ...PLACES.east });
  await f.deliver(parent);
  const [link] = await linksOf(parent.serviceRequestId);
  return { parent, ref: link?.externalRef ?? "" };
}

describe("duplicates", () => {
  it("a new case the case system marks as a duplicate gets no work order and the parent's field status", async () => {
    const { parent, ref } = await deliveredParent();
    const before = ordersAtEast();
    const duplicate = makeCase({ ...PLACES.east, duplicateOf: parent.serviceRequestId });
    await f.deliver(duplicate);
    expect(await linksOf(duplicate.serviceRequestId)).toEqual([]);
    expect(ordersAtEast()).toBe(before);
    expect(await caseRow(duplicate.serviceRequestId)).toMatchObject({
      disposition: "excluded",
      dispositionReason: "duplicate",
      duplicateOf: parent.serviceRequestId,
    });

    await crewReports(ref, "IN_PROGRESS");
    expect(updatesFor(parent.serviceRequestId)).toContain("PUBLIC_WORKS_IN_PROGRESS");
    expect(updatesFor(duplicate.serviceRequestId)).toContain("PUBLIC_WORKS_IN_PROGRESS");
    await crewReports(ref, "COMPLETED");
    expect(updatesFor(duplicate.serviceRequestId)).toContain("PUBLIC_WORKS_COMPLETED");

    // The handler's page of the duplicate shows the parent's work order.
    const page = await (
      await f.request(`/cases/${duplicate.serviceRequestId}?lang=en&token=${HANDLER_TOKEN}`, { token: null })
    ).text();
    expect(page).toContain('id="duplicate-of"');
    expect(page).toMatch(/data-target="contractor-east" data-phase="delivered"/);
    expect((await checkLedgerBalance(f.database)).balanced).toBe(true);
  });

  it("the claim's context read carries a link's duplicates, so a write-back does not ask again", async () => {
    const { parent } = await deliveredParent();
    const first = makeCase({ ...PLACES.east, duplicateOf: parent.serviceRequestId });
    const second = makeCase({ ...PLACES.east, duplicateOf: parent.serviceRequestId });
    await ingestCases(f.deps, [second, first]);
    const [link] = await linksOf(parent.serviceRequestId);
    const job = { id: -1, linkId: link?.id ?? 0 } as OutboxJob;
    const contexts = await loadJobContexts(f.deps, [job]);
    expect(contexts.get(-1)?.duplicates).toEqual([first.serviceRequestId, second.serviceRequestId].sort());
    const lone = await deliveredParent();
    const [loneLink] = await linksOf(lone.parent.serviceRequestId);
    expect((await loadJobContexts(f.deps, [{ ...job, linkId: loneLink?.id ?? 0 }])).get(-1)?.duplicates).toEqual([]);
  });

  it("a routed case marked a duplicate later has its own order withdrawn, then shares the parent's status", async () => {
    const { parent, ref } = await deliveredParent();
    const late = makeCase({ ...PLACES.east });
    await f.deliver(late);
    const [own] = await linksOf(late.serviceRequestId);
    expect(own?.state).toBe("forwarded");
    const summary = await ingestCases(f.deps, [
      { ...late, duplicateOf: parent.serviceRequestId, updatedAt: laterThan(late.updatedAt, 1) },
    ]);
    expect(summary.merged).toBe(1);
    await f.settle();
    expect((await linksOf(late.serviceRequestId))[0]?.state).toBe("cancelled");
    expect(f.targets.east.orders.get(own?.externalRef ?? "")?.cancelled).toBe(true);
    await crewReports(ref, "IN_PROGRESS");
    expect(updatesFor(late.serviceRequestId)).toContain("PUBLIC_WORKS_IN_PROGRESS");
    expect((await checkLedgerBalance(f.database)).balanced).toBe(true);
  });

  it("a handler links a case to its original and unlinks it again: unlinked, it gets its own work order", async () => {
    const { parent } = await deliveredParent();
    const other = makeCase({ ...PLACES.east });
    await f.deliver(other);
    const base = `/cases/${other.serviceRequestId}/duplicate?lang=fi&token=${HANDLER_TOKEN}`;
    const form = (fields: Record<string, string>) => ({
      method: "POST",
      token: null,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    const linked = await f.request(base, form({ parent: parent.serviceRequestId }));
    expect(linked.status).toBe(303);
    expect(linked.headers.get("location")).toMatch(/notice=linked$/);
    await f.settle();
    expect((await caseRow(other.serviceRequestId))?.duplicateOf).toBe(parent.serviceRequestId);
    expect((await linksOf(other.serviceRequestId))[0]?.state).toBe("cancelled");

    // Unknown parents and the case itself are refused, and nothing changes.
    expect((await f.request(base, form({ parent: "no-such-case" }))).headers.get("location")).toMatch(/notice=refused$/);

    const unlinked = await f.request(base, form({ unlink: "1" }));
    expect(unlinked.headers.get("location")).toMatch(/notice=unlinked$/);
    await f.settle();
    const [first, second] = await linksOf(other.serviceRequestId);
    expect(first?.state).toBe("cancelled");
    expect(second).toMatchObject({ round: 2, state: "forwarded" });
    expect(f.targets.east.orders.get(second?.externalRef ?? "")?.creates).toBe(1);
    expect(await caseRow(other.serviceRequestId)).toMatchObject({ duplicateOf: null, disposition: "routed" });
    expect((await checkLedgerBalance(f.database)).balanced).toBe(true);
  });
});
