import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAdminApi } from "../../src/http/admin-api/app.ts";
import { createTokenSet } from "../../src/http/auth/tokens.ts";
import { createContractorApi } from "../../src/http/contractor-api/app.ts";
import type { ContractorGateway } from "../../src/ports/contractor-gateway.ts";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture } from "../integration/http-admin-fixture.ts";

/**
 * The OpenAPI documents are public (no auth) and generating one walks every route's schemas: an
 * attack run's flood of `/openapi.json` rebuilt it per request and starved `/healthz`. Each app
 * now builds its document once, at the first request for it, and serves the same JSON and page.
 */
let f: HttpFixture;
beforeAll(async () => {
  f = await createHttpFixture();
}, 60_000);
afterAll(async () => f?.dispose());

const unusedGateway = {} as ContractorGateway;

const surfaces = [
  {
    name: "admin API",
    build: () => createAdminApi(f.deps, createTokenSet([ADMIN_TOKEN]), async () => false),
    title: "Silta admin API",
  },
  { name: "contractor API", build: () => createContractorApi(unusedGateway), title: "Silta contractor API" },
];

describe.each(surfaces)("the $name's document", ({ build, title }) => {
  it("is built once however often it is asked for, as JSON and as the docs page", async () => {
    const app = build();
    const builder = vi.spyOn(app, "getOpenAPI31Document");
    expect(builder).not.toHaveBeenCalled();
    const bodies = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const response = await app.request("/openapi.json");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("application/json");
      bodies.add(await response.text());
      const docs = await app.request("/docs");
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain(title);
    }
    expect(builder).toHaveBeenCalledTimes(1);
    expect(bodies.size).toBe(1);
    const document = JSON.parse([...bodies][0] ?? "{}") as { openapi: string; info: { title: string }; paths: object };
    expect(document.openapi).toBe("3.1.0");
    expect(document.info.title).toBe(title);
    expect(Object.keys(document.paths).length).toBeGreaterThan(2);
  });

  it("is built per app: another app of the same kind builds its own", async () => {
    const [first, second] = [build(), build()];
    const [a, b] = [vi.spyOn(first, "getOpenAPI31Document"), vi.spyOn(second, "getOpenAPI31Document")];
    expect(await (await first.request("/openapi.json")).text()).toBe(await (await second.request("/openapi.json")).text());
    expect([a.mock.calls.length, b.mock.calls.length]).toEqual([1, 1]);
  });
});

it("the whole app serves both documents without rebuilding them", async () => {
  const first = await (await f.app.request("/api/admin/v1/openapi.json")).text();
  for (let i = 0; i < 20; i++) {
    expect(await (await f.app.request("/api/admin/v1/openapi.json")).text()).toBe(first);
    expect((await f.app.request("/api/contractor/v1/openapi.json")).status).toBe(200);
  }
  expect((await f.app.request("/healthz")).status).toBe(200);
});
