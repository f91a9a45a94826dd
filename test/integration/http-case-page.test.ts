import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { links } from "../../src/db/schema/index.ts";
import { laterThan, makeCase, PLACES, RECENT_AT } from "../support/fakes.ts";
import { ADMIN_TOKEN, createHttpFixture, HANDLER_TOKEN, type HttpFixture } from "./http-admin-fixture.ts";

let f: HttpFixture;
let caseId = "";
const CANARY = { email: "canary.person@example.org", phone: "+358401234567" };

beforeAll(async () => {
  f = await createHttpFixture();
  const record = makeCase({
    ...PLACES.east,
    reporter: { firstName: "Kanari", lastName: "Lintunen", email: CANARY.email, phone: CANARY.phone },
  } as Parameters<typeof makeCase>[0]);
  caseId = record.serviceRequestId;
  await f.deliver(record);
  const [link] = await f.database.db.select().from(links).where(eq(links.caseId, caseId));
  const posted = await f.request(`/api/contractor/v1/work-orders/${encodeURIComponent(link?.externalRef ?? "")}/events`, {
    method: "POST",
    token: f.keys.east,
    headers: { "idempotency-key": "page-1" },
    body: JSON.stringify({ status: "IN_PROGRESS", occurredAt: new Date().toISOString() }),
  });
  expect(posted.status).toBe(202);
  await f.settle();
});
afterAll(async () => f?.dispose());

describe("the handler's case page", () => {
  it("needs a handler or admin token, by query or bearer", async () => {
    expect((await f.request(`/cases/${caseId}`)).status).toBe(401);
    expect((await f.request(`/cases/${caseId}?token=wrong-token-0123456789abcdefgh`)).status).toBe(401);
    expect((await f.request(`/cases/${caseId}?token=${HANDLER_TOKEN}`)).status).toBe(200);
    expect((await f.request(`/cases/${caseId}`, { token: HANDLER_TOKEN })).status).toBe(200);
    expect((await f.request(`/cases/${caseId}`, { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await f.request(`/cases/nosuchcase?token=${HANDLER_TOKEN}`)).status).toBe(404);
  });

  it("shows contractor, delivery, field status, SLA and the timeline in Finnish by default, in Swedish and English on request", async () => {
    const fi = await (await f.request(`/cases/${caseId}?token=${HANDLER_TOKEN}`)).text();
    expect(fi).toContain('lang="fi"');
    expect(fi).toContain("Itä-Helsingin katujen kunnossapitourakka");
    expect(fi).toContain("Työn alla");
    expect(fi).toContain("Aikataulussa");
    expect(fi).toContain("Välitetty");
    expect(fi).toContain("Työtilauksen välitys");
    expect(fi).toContain("onnistui");
    const sv = await (await f.request(`/cases/${caseId}?lang=sv&token=${HANDLER_TOKEN}`)).text();
    expect(sv).toContain('lang="sv"');
    expect(sv).toContain("Arbete pågår");
    expect(sv).toContain("Enligt tidsplan");
    expect(sv).toContain("Förmedling av arbetsorder");
    const en = await (await f.request(`/cases/${caseId}?lang=en&token=${HANDLER_TOKEN}`)).text();
    expect(en).toContain('lang="en"');
    expect(en).toContain("In progress");
    expect(en).toContain("On track");
    expect(en).toContain("Work order delivery");
    // No code is shown raw where a text exists.
    for (const page of [fi, sv, en]) expect(page).not.toMatch(/>(ok|create_work_order|field_status|target_out)</);
    // The language links keep the token so an embedded page keeps working.
    expect(en).toContain(`?lang=fi&amp;token=${HANDLER_TOKEN}`);
    expect(en).toContain(`?lang=sv&amp;token=${HANDLER_TOKEN}`);
  });

  it("answers a missing or wrong token and an unknown case with a page in the asked language", async () => {
    const missing = await f.request(`/cases/${caseId}?lang=sv`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("content-type")).toContain("text/html");
    expect(await missing.text()).toContain("handläggarnyckel");
    const wrong = await f.request(`/cases/${caseId}?token=wrong-token-0123456789abcdefgh`);
    expect(await wrong.text()).toContain("Tunniste ei kelpaa");
    const unknown = await f.request(`/cases/nosuchcase?lang=en&token=${HANDLER_TOKEN}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("Silta has no case with this id.");
    // The JSON twin keeps answering JSON.
    expect((await f.request(`/api/v1/cases/${caseId}`)).headers.get("content-type")).toContain("application/json");
  });

  it("never shows the reporter's personal data, and is safe to embed", async () => {
    const response = await f.request(`/cases/${caseId}?token=${HANDLER_TOKEN}`);
    const page = await response.text();
    for (const value of [CANARY.email, CANARY.phone, "Lintunen"]) expect(page).not.toContain(value);
    expect(response.headers.get("content-security-policy")).toMatch(/script-src 'nonce-[^']+'/);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });
});

describe("its JSON twin", () => {
  it("carries SLA state, last sync and a version, behind the same tokens", async () => {
    expect((await f.request(`/api/v1/cases/${caseId}`)).status).toBe(401);
    const response = await f.request(`/api/v1/cases/${caseId}`, { token: HANDLER_TOKEN });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      version: string;
      lastSyncedAt: string;
      workOrders: { fieldStatus: string; sla: { state: string; dueAt: string } }[];
    };
    expect(body.workOrders[0]).toMatchObject({ fieldStatus: "in_progress", sla: { state: "on_track" } });
    expect(body.workOrders[0]?.sla.dueAt).toBe(laterThan(RECENT_AT, 7 * 24));
    expect(body.lastSyncedAt).toBeTruthy();
    expect(body.version).toMatch(/in_progress/);
    expect(JSON.stringify(body)).not.toContain(CANARY.email);
    const viaQuery = await f.request(`/api/v1/cases/${caseId}?token=${ADMIN_TOKEN}`);
    expect(viaQuery.status).toBe(200);
  });
});
