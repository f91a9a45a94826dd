import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { createHttpFixture, type HttpFixture } from "./http-admin-fixture.ts";

/** The console's case search: by id or address, service, state and target, a page at a time. */
let f: HttpFixture;
let cookie = "";
const east = Array.from({ length: 52 }, (_, i) => makeCase({ ...PLACES.east, address: `Itäkatu ${i + 1}, Helsinki` }));
const west = makeCase({ ...PLACES.west, address: "Mannerheimintie 100_%, Helsinki" });
const notFieldWork = makeCase({ serviceCode: "2806", address: "Kauppatori" });

beforeAll(async () => {
  f = await createHttpFixture();
  await f.deliver(...east, west);
  await ingestCases(f.deps, [notFieldWork]);
  cookie = await f.consoleLogin();
});
afterAll(async () => f?.dispose());

const search = async (query: string) => {
  const response = await f.request(`/admin/cases${query}`, { headers: { cookie } });
  const text = await response.text();
  return { status: response.status, text, ids: [...text.matchAll(/<tr data-case="([^"]+)">/g)].map((m) => m[1]) };
};

describe("the console's case search", () => {
  it("finds a case by id prefix and by part of its address (% and _ match themselves)", async () => {
    expect((await search(`?q=${west.serviceRequestId}`)).ids).toEqual([west.serviceRequestId]);
    expect((await search("?q=mannerheimintie")).ids).toEqual([west.serviceRequestId]);
    expect((await search(`?q=${encodeURIComponent("100_%")}`)).ids).toEqual([west.serviceRequestId]);
    expect((await search(`?q=${encodeURIComponent("1_0")}`)).ids).toEqual([]);
  });

  it("filters by service, case state, work order state and target", async () => {
    expect((await search("?service=2806")).ids).toEqual([notFieldWork.serviceRequestId]);
    expect((await search("?state=excluded")).ids).toEqual([notFieldWork.serviceRequestId]);
    expect((await search("?target=contractor-west&state=forwarded")).ids).toEqual([west.serviceRequestId]);
    expect((await search("?target=contractor-west&state=parked")).ids).toEqual([]);
  });

  it("pages through the results with the filter kept, newest first", async () => {
    const first = await search("?target=contractor-east");
    expect(first.ids).toHaveLength(50);
    const more = /id="older" href="([^"]+)"/.exec(first.text)?.[1]?.replaceAll("&amp;", "&") ?? "";
    expect(more).toContain("target=contractor-east");
    const second = await search(more.replace("/admin/cases", ""));
    expect(second.ids).toHaveLength(2);
    expect(new Set([...first.ids, ...second.ids])).toEqual(new Set(east.map((c) => c.serviceRequestId)));
  });

  it("still sends the overview's case-id form straight to the case", async () => {
    const response = await f.request(`/admin/cases?id=${west.serviceRequestId}`, { headers: { cookie } });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/admin/cases/${west.serviceRequestId}`);
  });
});
