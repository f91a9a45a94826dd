import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, ledgerEntries, links } from "../../src/db/schema/index.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import { createHttpFixture, type HttpFixture } from "./http-admin-fixture.ts";

/** Contractors test before going live: a ping that checks the key, and a synthetic work order to their endpoint. */
let f: HttpFixture;
beforeAll(async () => {
  f = await createHttpFixture();
});
afterAll(async () => f?.dispose());

describe("contractor self-test", () => {
  it("ping answers who the key belongs to and the API's version; no key, no answer", async () => {
    const ping = await f.request("/api/contractor/v1/ping", { token: f.keys.west });
    expect(ping.status).toBe(200);
    expect(await ping.json()).toMatchObject({
      ok: true,
      contractor: "contractor-west",
      apiVersion: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    });
    expect((await f.request("/api/contractor/v1/ping", { token: null })).status).toBe(401);
  });

  it("sends a synthetic work order to the contractor's endpoint and shows what came back, recording no delivery", async () => {
    const ok = (await (await f.request("/api/contractor/v1/self-test", { method: "POST", token: f.keys.east })).json()) as {
      sent: { externalRef: string; serviceCode: string };
      answer: { ok: boolean; workOrderId?: string };
    };
    expect(ok.sent).toMatchObject({ serviceCode: "TEST", externalRef: expect.stringMatching(/^selftest:contractor-east:/) });
    expect(ok.answer).toMatchObject({ ok: true, workOrderId: expect.any(String) });
    expect(f.targets.east.orders.has(ok.sent.externalRef)).toBe(true);

    f.targets.east.failures.push({ error: new SiltaError("target_unavailable", "HTTP 503", { httpStatus: 503 }) });
    const failed = (await (await f.request("/api/contractor/v1/self-test", { method: "POST", token: f.keys.east })).json()) as {
      answer: { ok: boolean; errorCode?: string; httpStatus?: number };
    };
    expect(failed.answer).toMatchObject({ ok: false, errorCode: "target_unavailable", httpStatus: 503 });

    expect(await f.database.db.select().from(links).where(eq(links.target, "contractor-east"))).toEqual([]);
    expect((await f.database.db.select().from(ledgerEntries)).length).toBe(0);
    const audit = await f.database.db.select().from(auditEvents).where(eq(auditEvents.action, "contractor.self_test"));
    expect(audit.map((row) => [row.actor, row.result])).toEqual([
      ["contractor:contractor-east", "ok"],
      ["contractor:contractor-east", "failed"],
    ]);
  });
});
