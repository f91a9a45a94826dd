import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import { type RunningStaraSimulator, startStaraSimulator } from "../../adapters/stara/simulator/serve.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { reconcileOpenLinks } from "../../src/domain/reconcile/reconcile.ts";
import { generateWebhookSecret } from "../../src/lib/webhook-signature.ts";
import type { WorkOrderSystem } from "../../src/ports/work-order-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { DriftingTarget, WritableCaseSystem } from "./reconcile-fakes.ts";

/** Reconciliation against the Stara simulator over HTTP, through the real client and its list endpoint. */
let stara: RunningStaraSimulator;
let client: WorkOrderSystem;
let database: TestDatabase;
let deps: SiltaDeps;
const caseSystem = new WritableCaseSystem();

beforeAll(async () => {
  stara = await startStaraSimulator({ seed: 5 });
  stara.sim.setKnobs({ autoProgress: false });
  client = createStaraWorkOrderSystem({
    targetId: "stara",
    baseUrl: stara.url,
    token: stara.sim.token,
    webhookSecrets: [generateWebhookSecret()],
  });
  database = await createTestDatabase();
  deps = makeDeps(database, caseSystem, [
    client,
    new DriftingTarget("contractor-east", { listing: false, firstCode: "SENT" }),
    new DriftingTarget("contractor-west", { listing: false, firstCode: "SENT" }),
  ]);
});
afterAll(async () => {
  await stara?.close();
  await database?.dispose();
});

const order = (ref: string) => ({ externalRef: ref, serviceRequestId: ref.split(":")[1] ?? ref, serviceCode: "171" });

describe("Stara's work-order list", () => {
  it("pages through every order, and a cursor survives the removal of the order it points at", async () => {
    const created = [];
    for (const n of [1, 2, 3, 4, 5]) created.push(await client.createWorkOrder(order(`helsinki:list-${n}:stara`), `key-${n}`));
    const first = await fetch(`${stara.url}/api/v1/tyotilausluettelo?raja=2`, {
      headers: { authorization: `Bearer ${stara.sim.token}` },
    });
    const page = (await first.json()) as { tyotilaukset: { tunnus: string }[]; seuraava: string | null };
    expect(page.tyotilaukset.map((o) => o.tunnus)).toEqual(created.slice(0, 2).map((o) => o.workOrderId));
    if (!page.seuraava) throw new Error("expected a next page");
    stara.sim.dropWorkOrder(page.seuraava);
    const second = await fetch(`${stara.url}/api/v1/tyotilausluettelo?raja=2&jalkeen=${encodeURIComponent(page.seuraava)}`, {
      headers: { authorization: `Bearer ${stara.sim.token}` },
    });
    const next = (await second.json()) as { tyotilaukset: { tunnus: string }[] };
    expect(next.tyotilaukset.map((o) => o.tunnus)).toEqual(created.slice(2, 4).map((o) => o.workOrderId));

    const listed = await client.listWorkOrders?.(null);
    expect(listed?.nextCursor).toBeNull();
    expect(listed?.items.map((o) => o.externalRef)).toEqual([1, 3, 4, 5].map((n) => `helsinki:list-${n}:stara`));
  });

  it("reports Stara's orders Silta does not know, and re-sends one Stara lost, without a duplicate", async () => {
    const record = makeCase({ ...PLACES.northCentral });
    caseSystem.cases.set(record.serviceRequestId, record);
    await ingestCases(deps, [record]);
    await drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
    const [link] = await database.rows<{ external_ref: string; work_order_id: string }>(
      sql`select external_ref, work_order_id from links where case_id = ${record.serviceRequestId}`,
    );
    if (!link) throw new Error("no link");
    expect(stara.sim.ordersByExternalRef(link.external_ref)).toHaveLength(1);

    const first = await reconcileOpenLinks(deps, { repair: true });
    expect(first.targets.listed).toContain("stara");
    // The four orders of the listing test are strays to Silta.
    expect(first.current.filter((f) => f.kind === "missing_in_source")).toHaveLength(4);
    expect(first.current.filter((f) => f.kind !== "missing_in_source")).toEqual([]);

    stara.sim.dropWorkOrder(link.work_order_id);
    const second = await reconcileOpenLinks(deps, { repair: true });
    expect(second.current.filter((f) => f.kind === "missing_in_target").map((f) => f.subject)).toEqual([link.external_ref]);
    expect(second.repairs.queued).toBe(1);
    await drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
    const held = stara.sim.ordersByExternalRef(link.external_ref);
    expect(held).toHaveLength(1);
    expect(held[0]?.tunnus).not.toBe(link.work_order_id);

    const third = await reconcileOpenLinks(deps, { repair: true });
    expect(third.current.filter((f) => f.kind !== "missing_in_source")).toEqual([]);
    expect((await checkLedgerBalance(database)).balanced).toBe(true);
  });
});
