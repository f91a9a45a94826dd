import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createHelsinkiSimulator,
  type HelsinkiSimulatorOptions,
  SIMULATOR_PROFILES,
} from "../../adapters/open311/simulator/helsinki-simulator.ts";
import { generateWebhookSecret } from "../../src/lib/webhook-signature.ts";

/**
 * The simulator's behaviour profiles: what independent GeoReport v2 servers do differently from
 * Helsinki (paging, no write-back endpoint, plain `closed`, late and missing publication, records
 * a strict reader chokes on), exercised in-process through `app.request`.
 */

const NOW = Date.parse("2026-03-01T10:00:00Z");
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
type Row = Record<string, unknown> & { service_request_id: string; updated_datetime: string };

function simulator(options: HelsinkiSimulatorOptions = {}) {
  let clock = NOW;
  const sim = createHelsinkiSimulator({ seed: 5, now: () => clock, ...options });
  const get = async (path: string) => {
    const response = await sim.app.request(path);
    const text = await response.text();
    const isJson = (response.headers.get("content-type") ?? "").includes("json");
    return { status: response.status, headers: response.headers, text, body: (isJson ? JSON.parse(text) : text) as unknown };
  };
  const post = async (path: string, fields: Record<string, string>) => {
    const response = await sim.app.request(path, { method: "POST", body: new URLSearchParams(fields) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  };
  return { sim, get, post, setClock: (ms: number) => (clock = ms) };
}

const ids = (body: unknown) => (body as Row[]).map((row) => row.service_request_id);
const LAST_20_DAYS = `updated_after=${encodeURIComponent(new Date(NOW - 20 * DAY_MS).toISOString())}`;

const VALID_POST = {
  api_key: "sim-api-key",
  service_code: "171",
  description: "Kuoppa suojatiellä, syvä.",
  lat: "60.17",
  long: "24.94",
};

describe("Open311 simulator profiles: paging", () => {
  it("pages 130 cases newest first into 100 + 30 with 6Aika's headers on the right pages", async () => {
    const { sim, get } = simulator({ paging: { pageSize: 100, order: "newest_first" } });
    const generated = sim.generateCases(130, { from: NOW - 10 * DAY_MS, to: NOW });
    const byNewest = generated
      .map((g) => ({ id: String(g.record.service_request_id), at: Date.parse(String(g.record.updated_datetime)) }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((g) => g.id);

    const first = await get(`/requests.json?${LAST_20_DAYS}`);
    expect(first.status).toBe(200);
    expect(first.headers.get("X-Result-Count")).toBe("130");
    expect(first.headers.get("X-Page-Count")).toBe("2");
    const next = `http://localhost/requests.json?${LAST_20_DAYS}&page=2`;
    expect(first.headers.get("X-Next-Page-URL")).toBe(next);
    expect(first.headers.get("Link")).toBe(`<${next}>; rel="next"`);
    expect(ids(first.body)).toEqual(byNewest.slice(0, 100));

    // Following the next-page URL as a client would.
    const second = await get(next);
    expect(second.headers.get("X-Result-Count")).toBe("130");
    expect(second.headers.get("X-Page-Count")).toBe("2");
    expect(second.headers.get("X-Next-Page-URL")).toBeNull();
    expect(second.headers.get("Link")).toBeNull();
    expect(ids(second.body)).toEqual(byNewest.slice(100));

    const walked = [...ids(first.body), ...ids(second.body)];
    expect(new Set(walked).size).toBe(130);
    expect(walked.sort()).toEqual(generated.map((g) => String(g.record.service_request_id)).sort());

    const beyond = await get(`/requests.json?${LAST_20_DAYS}&page=3`);
    expect(beyond.status).toBe(200);
    expect(beyond.body).toEqual([]);
    expect(beyond.headers.get("X-Result-Count")).toBe("130");
    expect(beyond.headers.get("X-Page-Count")).toBe("2");
    expect(beyond.headers.get("Link")).toBeNull();
  });

  it("honours page_size up to maxPageSize, orders oldest first on request, and refuses bad page numbers", async () => {
    const { sim, get } = simulator({ paging: { pageSize: 10, maxPageSize: 60, order: "oldest_first" } });
    sim.generateCases(130, { from: NOW - 10 * DAY_MS, to: NOW });
    const fifty = await get(`/requests.json?${LAST_20_DAYS}&page_size=50`);
    expect((fifty.body as Row[]).length).toBe(50);
    expect(fifty.headers.get("X-Page-Count")).toBe("3");
    expect(fifty.headers.get("X-Next-Page-URL")).toContain("page_size=50");
    const times = (fifty.body as Row[]).map((row) => Date.parse(row.updated_datetime));
    expect(times).toEqual([...times].sort((a, b) => a - b));

    const capped = await get(`/requests.json?${LAST_20_DAYS}&page_size=1000`);
    expect((capped.body as Row[]).length).toBe(60);
    expect(capped.headers.get("X-Page-Count")).toBe("3");

    const defaults = await get(`/requests.json?${LAST_20_DAYS}`);
    expect((defaults.body as Row[]).length).toBe(10);
    expect(defaults.headers.get("X-Page-Count")).toBe("13");

    for (const bad of ["page=0", "page=-1", "page=two", "page_size=0"]) {
      const answer = await get(`/requests.json?${LAST_20_DAYS}&${bad}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual([{ code: 400, description: expect.stringMatching(/page/) }]);
    }
  });

  it("replaces the 200-row cap with paging, keeps the 90-day check, and does not page id lists", async () => {
    const { sim, get } = simulator({ paging: { pageSize: 100, order: "newest_first" } });
    const generated = sim.generateCases(260, { from: NOW - 10 * DAY_MS, to: NOW });
    const big = await get(`/requests.json?${LAST_20_DAYS}&page_size=300`);
    expect((big.body as Row[]).length).toBe(260);
    expect(big.headers.get("X-Page-Count")).toBe("1");

    const tooLong = await get("/requests.json?updated_after=2025-01-01T00:00:00Z&updated_before=2025-06-01T00:00:00Z");
    expect(tooLong.status).toBe(400);

    const wanted = generated.slice(0, 3).map((g) => String(g.record.service_request_id));
    const byId = await get(`/requests.json?service_request_id=${wanted.join(",")}`);
    expect(ids(byId.body).sort()).toEqual([...wanted].sort());
    expect(byId.headers.get("X-Result-Count")).toBeNull();
  });

  it("Helsinki (the default) neither pages nor sends paging headers", async () => {
    const { sim, get } = simulator();
    sim.generateCases(260, { from: NOW - 10 * DAY_MS, to: NOW });
    const answer = await get(`/requests.json?${LAST_20_DAYS}&page=2&page_size=10`);
    expect((answer.body as Row[]).length).toBe(200);
    expect(answer.headers.get("X-Result-Count")).toBeNull();
    expect(answer.headers.get("Link")).toBeNull();
  });
});

describe("Open311 simulator profiles: write-back endpoint", () => {
  it("answers servicerequestupdates.json with an HTML 404 page when the extension is absent", async () => {
    const { sim, get, post } = simulator({ writeBackEndpoint: false });
    const [generated] = sim.generateCases(1);
    const update = {
      api_key: "sim-api-key",
      service_request_id: String(generated?.record.service_request_id),
      update_id: "u1",
      updated_datetime: "2026-03-01T10:00:00Z",
      status: "IN_PROGRESS",
      description: "Työ aloitettu.",
    };
    for (const answer of [await post("/servicerequestupdates.json", update), await get("/servicerequestupdates.json")]) {
      expect(answer.status).toBe(404);
      expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
      expect(answer.text).toMatch(/^<!DOCTYPE html>/);
      expect(answer.text).toContain("<title>404 Not Found</title>");
      expect(answer.text).toContain("<style>");
      expect(answer.text.length).toBeGreaterThan(1500);
      expect(() => JSON.parse(answer.text)).toThrow();
    }
    expect(sim.store.updates.size).toBe(0);
  });

  it("keeps the endpoint by default", async () => {
    const { sim, post } = simulator();
    const [generated] = sim.generateCases(1);
    const answer = await post("/servicerequestupdates.json", {
      api_key: "sim-api-key",
      service_request_id: String(generated?.record.service_request_id),
      update_id: "u1",
      updated_datetime: "2026-03-01T10:00:00Z",
      status: "IN_PROGRESS",
      description: "Työ aloitettu.",
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual([{ update_id: "u1" }]);
  });
});

describe("Open311 simulator profiles: late publication", () => {
  const lateCase = async (keepsUpdatedTime: boolean) => {
    const { get, post, setClock } = simulator({
      moderationDelayMs: 20 * MINUTE_MS,
      knobs: { publishKeepsUpdatedTime: keepsUpdatedTime },
    });
    const id = (JSON.parse((await post("/requests.json", VALID_POST)).text) as Row[])[0]?.service_request_id;
    setClock(NOW + 20 * MINUTE_MS);
    const recent = `updated_after=${encodeURIComponent(new Date(NOW + 15 * MINUTE_MS).toISOString())}`;
    const lookBack = ids((await get(`/requests.json?${recent}`)).body);
    const byId = ((await get(`/requests/${id}.json`)).body as Row[])[0];
    return { id, lookBack, updated: byId?.updated_datetime };
  };

  it("with publishKeepsUpdatedTime, publishing leaves updated_datetime at the last update, so a short look-back misses it", async () => {
    const { id, lookBack, updated } = await lateCase(true);
    expect(updated).toBe("2026-03-01T12:00:00+02:00");
    expect(lookBack).not.toContain(id);
    expect(lookBack).toEqual([]);
  });

  it("by default publishing moves updated_datetime to the publication time", async () => {
    const { id, lookBack, updated } = await lateCase(false);
    expect(updated).toBe("2026-03-01T12:20:00+02:00");
    expect(lookBack).toEqual([id]);
  });

  it("holds a share of generated cases in moderation, hidden from the public list until published", async () => {
    const { sim, get, setClock } = simulator({
      latePublishedShare: 0.3,
      moderationDelayMs: 20 * MINUTE_MS,
      knobs: { publishKeepsUpdatedTime: true },
    });
    sim.generateCases(100, { from: NOW - DAY_MS, to: NOW });
    const late = [...sim.store.cases.entries()].filter(([, stored]) => stored.publishAt !== null).map(([id]) => id);
    expect(late.length).toBeGreaterThan(15);
    expect(late.length).toBeLessThan(45);
    expect(ids((await get(`/requests.json?${LAST_20_DAYS}`)).body)).toHaveLength(100 - late.length);
    expect(ids((await get(`/requests.json?${LAST_20_DAYS}&api_key=sim-api-key`)).body)).toHaveLength(100);
    const before = sim.store.cases.get(late[0] ?? "")?.record.updated_datetime;
    setClock(NOW + 21 * MINUTE_MS);
    expect(ids((await get(`/requests.json?${LAST_20_DAYS}`)).body)).toHaveLength(100);
    expect(sim.store.cases.get(late[0] ?? "")?.record.updated_datetime).toBe(before);
  });

  it("is a knob settable at run time", async () => {
    const { sim } = simulator();
    expect(sim.knobs.publishKeepsUpdatedTime).toBe(false);
    const answer = await sim.app.request("/__sim/knobs", {
      method: "POST",
      body: JSON.stringify({ publishKeepsUpdatedTime: true }),
    });
    expect(answer.status).toBe(200);
    expect(sim.knobs.publishKeepsUpdatedTime).toBe(true);
  });
});

describe("Open311 simulator profiles: never-published cases", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("hides them from public lists, shows them by id and to lists read with the API key, and refuses a wrong key", async () => {
    const { sim, get, setClock } = simulator({ unpublishedShare: 0.5 });
    const generated = sim.generateCases(100, { from: NOW - 10 * DAY_MS, to: NOW });
    const never = [...sim.store.cases.entries()]
      .filter(([, stored]) => stored.publishAt === Number.POSITIVE_INFINITY)
      .map(([id]) => id);
    expect(never.length).toBeGreaterThan(30);
    expect(never.length).toBeLessThan(70);
    setClock(NOW + 365 * DAY_MS);
    expect(sim.state()).toMatchObject({ cases: 100, neverPublished: never.length, unpublished: never.length });
    setClock(NOW);

    const publicRows = ids((await get(`/requests.json?${LAST_20_DAYS}`)).body);
    expect(publicRows).toHaveLength(100 - never.length);
    expect(publicRows.filter((id) => never.includes(id))).toEqual([]);

    const keyedRows = ids((await get(`/requests.json?${LAST_20_DAYS}&api_key=sim-api-key`)).body);
    expect(keyedRows.sort()).toEqual(generated.map((g) => String(g.record.service_request_id)).sort());

    const wrong = await get(`/requests.json?${LAST_20_DAYS}&api_key=nope`);
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual([{ code: 403, description: expect.stringMatching(/API key/) }]);

    const hidden = never[0] ?? "";
    const partial = ((await get(`/requests/${hidden}.json`)).body as Row[])[0];
    expect(partial?.service_request_id).toBe(hidden);
    expect(partial?.description).toBeUndefined();
    const whole = ((await get(`/requests/${hidden}.json?api_key=sim-api-key`)).body as Row[])[0];
    expect(whole?.description).toBe(sim.store.cases.get(hidden)?.record.description);
    expect((await get(`/requests/${hidden}.json?api_key=nope`)).status).toBe(403);
  });

  it("does not change the cases generated, and chooses the same ones for the same seed", () => {
    const plain = simulator().sim.generateCases(20);
    const first = simulator({ unpublishedShare: 0.5 });
    const second = simulator({ unpublishedShare: 0.5 });
    expect(first.sim.generateCases(20)).toEqual(plain);
    second.sim.generateCases(20);
    const neverOf = (s: typeof first) =>
      [...s.sim.store.cases.entries()].filter(([, stored]) => stored.publishAt !== null).map(([id]) => id);
    expect(neverOf(first).length).toBeGreaterThan(0);
    expect(neverOf(second)).toEqual(neverOf(first));
  });

  it("counts them across pages of a keyed paged list", async () => {
    const { sim, get } = simulator({ profile: "generic", unpublishedShare: 0.9 });
    sim.generateCases(150, { from: NOW - 10 * DAY_MS, to: NOW });
    const neverPublished = sim.state().neverPublished;
    expect(neverPublished).toBeGreaterThan(100);
    const publicPage = await get(`/requests.json?${LAST_20_DAYS}`);
    expect(publicPage.headers.get("X-Result-Count")).toBe(String(150 - neverPublished));
    const keyed = await get(`/requests.json?${LAST_20_DAYS}&api_key=sim-api-key`);
    expect(keyed.headers.get("X-Result-Count")).toBe("150");
    expect(keyed.headers.get("X-Next-Page-URL")).toContain("api_key=sim-api-key");
  });

  it("pushes never-published cases, but not cases waiting for moderation", async () => {
    const pushed: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: { body: string }) => {
        for (const row of JSON.parse(init.body) as Row[]) pushed.push(row.service_request_id);
        return new Response(null, { status: 204 });
      }),
    );
    const { sim } = simulator({
      unpublishedShare: 0.5,
      moderationDelayMs: 60_000,
      push: { url: "http://silta.invalid/intake/open311", secrets: [generateWebhookSecret()] },
    });
    const generated = sim.generateCases(20);
    const [template] = generated;
    sim.addCase({ ...template?.record, service_request_id: "moderated-1" }, { published: false });
    sim.addCase({ ...template?.record, service_request_id: "never-1" }, { neverPublished: true });
    await sim.drainPushes();
    const never = [...sim.store.cases.entries()]
      .filter(([, stored]) => stored.publishAt === Number.POSITIVE_INFINITY)
      .map(([id]) => id);
    expect(never).toContain("never-1");
    expect(never.length).toBeGreaterThan(1);
    expect(pushed).toEqual(expect.arrayContaining(never));
    expect(pushed).not.toContain("moderated-1");
    expect(pushed).toHaveLength(21);
    expect(sim.state().push).toMatchObject({ records: 21, delivered: 1 });
  });
});

describe("Open311 simulator profiles: closed means resolved", () => {
  it("generates plain GeoReport v2 cases without detailed_status or tasks", async () => {
    const { sim, get } = simulator({ closedMeans: "resolved" });
    const generated = sim.generateCases(60, { from: NOW - 10 * DAY_MS, to: NOW });
    const rows = (await get(`/requests.json?${LAST_20_DAYS}&extensions=true`)).body as Row[];
    expect(rows).toHaveLength(60);
    for (const row of rows) {
      const extended = row.extended_attributes as Record<string, unknown> | undefined;
      expect(extended === undefined || Object.keys(extended).join() === "title").toBe(true);
      expect(["open", "closed"]).toContain(row.status);
    }
    expect(rows.some((row) => row.extended_attributes === undefined)).toBe(true);
    expect(rows.some((row) => row.extended_attributes !== undefined)).toBe(true);
    expect(rows.some((row) => row.status === "closed")).toBe(true);
    expect(generated.every((g) => g.record.extended_attributes?.detailed_status === undefined)).toBe(true);

    const open = rows.find((row) => row.status === "open")?.service_request_id ?? "";
    expect(sim.closeCase(open, "Korjattu.")).toBe(true);
    const closed = sim.store.cases.get(open)?.record;
    expect(closed).toMatchObject({ status: "closed", status_notes: "Korjattu." });
    expect(closed?.extended_attributes?.detailed_status).toBeUndefined();
    expect(closed?.extended_attributes?.tasks).toBeUndefined();
  });

  it("creates posted requests without detailed_status, and shows a moderated one without inventing one", async () => {
    const { sim, post, get } = simulator({ closedMeans: "resolved", moderationDelayMs: 60_000 });
    const id = (JSON.parse((await post("/requests.json", VALID_POST)).text) as Row[])[0]?.service_request_id ?? "";
    expect(sim.store.cases.get(id)?.record.extended_attributes).toEqual({ title: "Kuoppa suojatiellä, syvä." });
    const byId = ((await get(`/requests/${id}.json?extensions=true`)).body as Row[])[0];
    expect(byId?.extended_attributes).toBeUndefined();
  });

  it("Helsinki (the default) generates detailed_status and tasks", () => {
    const generated = simulator().sim.generateCases(20);
    expect(generated.every((g) => typeof g.record.extended_attributes?.detailed_status === "string")).toBe(true);
    expect(generated.every((g) => (g.record.extended_attributes?.tasks?.length ?? 0) > 0)).toBe(true);
  });
});

describe("Open311 simulator profiles: bad records", () => {
  it("plants NUL characters and empty service codes at the configured shares, reproducibly", async () => {
    const options: HelsinkiSimulatorOptions = { badRecords: { nulShare: 0.2, emptyServiceCodeShare: 0.1 } };
    const { sim, get } = simulator(options);
    const generated = sim.generateCases(100, { from: NOW - 10 * DAY_MS, to: NOW });
    const answer = await get(`/requests.json?${LAST_20_DAYS}`);
    expect(answer.text).toContain("\\u0000");
    const rows = answer.body as Row[];
    expect(rows).toHaveLength(100);
    const withNul = rows.filter((row) => String(row.description).includes("\u0000"));
    const withoutCode = rows.filter((row) => row.service_code === "");
    expect(withNul.length).toBeGreaterThan(5);
    expect(withNul.length).toBeLessThan(40);
    expect(withoutCode.length).toBeGreaterThan(2);
    expect(withoutCode.length).toBeLessThan(25);
    const [word, rest] = String(withNul[0]?.description).split("\u0000");
    expect(word).toMatch(/^\S+$/);
    expect(rest).toMatch(/^ /);

    const again = simulator(options).sim.generateCases(100, { from: NOW - 10 * DAY_MS, to: NOW });
    expect(again).toEqual(generated);
    expect(
      simulator()
        .sim.generateCases(100)
        .some((g) => String(g.record.description).includes("\u0000")),
    ).toBe(false);
  });

  it("stores raw records as they are with addRawCase", async () => {
    const { sim, get } = simulator();
    const base = {
      status: "open",
      requested_datetime: "2026-02-20T10:00:00+02:00",
      updated_datetime: "2026-02-20T10:00:00+02:00",
    };
    expect(
      sim.addRawCase({ ...base, service_request_id: "raw-nul", service_code: "171", description: "Kuoppa\u0000 tiellä" }),
    ).toBe("raw-nul");
    expect(sim.addRawCase({ ...base, service_request_id: "raw-empty", service_code: "", description: "Roskia" })).toBe(
      "raw-empty",
    );
    const minted = sim.addRawCase({ ...base, service_code: "171", description: "ei tunnistetta" });
    expect(minted).toMatch(/^[0-9a-v]{20}$/);
    expect(() => sim.addRawCase([] as unknown as object)).toThrow(TypeError);

    const rows = (await get("/requests.json")).body as Row[];
    expect(rows.find((row) => row.service_request_id === "raw-nul")?.description).toBe("Kuoppa\u0000 tiellä");
    expect(rows.find((row) => row.service_request_id === "raw-empty")?.service_code).toBe("");
    expect(rows.find((row) => row.service_request_id === minted)?.description).toBe("ei tunnistetta");
  });
});

describe("Open311 simulator profiles: profile presets", () => {
  it("exports the presets", () => {
    expect(SIMULATOR_PROFILES.helsinki).toEqual({
      listCap: 200,
      paging: null,
      writeBackEndpoint: true,
      closedMeans: "forwarded",
    });
    expect(SIMULATOR_PROFILES.generic).toEqual({
      listCap: 200,
      paging: { pageSize: 100, order: "newest_first" },
      writeBackEndpoint: false,
      closedMeans: "resolved",
    });
  });

  it("generic pages newest first, has no write-back endpoint and serves plain records", async () => {
    const { sim, get } = simulator({ profile: "generic" });
    expect(sim.settings).toMatchObject({
      profile: "generic",
      paging: { pageSize: 100, maxPageSize: 500, order: "newest_first" },
      writeBackEndpoint: false,
      closedMeans: "resolved",
    });
    sim.generateCases(130, { from: NOW - 10 * DAY_MS, to: NOW });
    const page = await get(`/requests.json?${LAST_20_DAYS}&extensions=true`);
    expect(page.headers.get("X-Page-Count")).toBe("2");
    const rows = page.body as Row[];
    const times = rows.map((row) => Date.parse(row.updated_datetime));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(
      rows.every((row) => (row.extended_attributes as { detailed_status?: string } | undefined)?.detailed_status === undefined),
    ).toBe(true);
    expect((await get("/servicerequestupdates.json")).status).toBe(404);

    const state = (await get("/__sim/state")).body as Record<string, unknown>;
    expect(state).toMatchObject({ profile: "generic", neverPublished: 0, settings: { closedMeans: "resolved" } });
  });

  it("lets explicit options override the profile", async () => {
    const { sim, get } = simulator({ profile: "generic", paging: null, writeBackEndpoint: true, listCap: 50 });
    expect(sim.settings).toMatchObject({ paging: null, writeBackEndpoint: true, closedMeans: "resolved", listCap: 50 });
    sim.generateCases(130, { from: NOW - 10 * DAY_MS, to: NOW });
    const answer = await get(`/requests.json?${LAST_20_DAYS}`);
    expect((answer.body as Row[]).length).toBe(50);
    expect(answer.headers.get("X-Page-Count")).toBeNull();
    expect((await get("/servicerequestupdates.json")).status).toBe(200);
  });

  it("helsinki is the default and refuses unknown profiles and bad shares", () => {
    expect(simulator().sim.state()).toMatchObject({
      profile: "helsinki",
      neverPublished: 0,
      settings: { listCap: 200, paging: null, writeBackEndpoint: true, closedMeans: "forwarded", unpublishedShare: 0 },
    });
    expect(() => simulator({ profile: "athens" as "generic" })).toThrow(/profile/);
    expect(() => simulator({ unpublishedShare: 1.5 })).toThrow(/unpublishedShare/);
    expect(() => simulator({ paging: { pageSize: 0, order: "newest_first" } })).toThrow(/pageSize/);
  });
});
