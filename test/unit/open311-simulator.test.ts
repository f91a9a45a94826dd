import { describe, expect, it } from "vitest";
import { extractWireRecords } from "../../adapters/open311/simulator/extract-records.ts";
import { createHelsinkiSimulator, type HelsinkiSimulatorOptions } from "../../adapters/open311/simulator/helsinki-simulator.ts";

/** The Helsinki simulator's contract, exercised in-process through `app.request`. */

const NOW = Date.parse("2026-03-01T10:00:00Z");
const DAY_MS = 86_400_000;

function simulator(options: HelsinkiSimulatorOptions = {}) {
  let clock = NOW;
  const sim = createHelsinkiSimulator({ seed: 5, now: () => clock, ...options });
  const get = async (path: string) => {
    const response = await sim.app.request(path);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const post = async (path: string, fields: Record<string, string>) => {
    const response = await sim.app.request(path, { method: "POST", body: new URLSearchParams(fields) });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  return { sim, get, post, setClock: (ms: number) => (clock = ms) };
}

function record(id: string, updated: string, extra: Record<string, unknown> = {}) {
  return {
    service_request_id: id,
    service_code: "171",
    status: "open",
    requested_datetime: updated,
    updated_datetime: updated,
    ...extra,
  };
}

const VALID_POST = {
  api_key: "sim-api-key",
  service_code: "171",
  description: "Kuoppa suojatiellä, syvä.",
  lat: "60.17",
  long: "24.94",
};

describe("Helsinki simulator: creating requests", () => {
  it("creates a request with a 20-character base-32 id and answers Helsinki's POST shape", async () => {
    const { sim, post } = simulator();
    const answer = await post("/requests.json", VALID_POST);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([{ service_request_id: expect.stringMatching(/^[0-9a-v]{20}$/), service_notice: "" }]);
    const [created] = [...sim.store.cases.values()];
    expect(created?.record).toMatchObject({
      status: "open",
      service_name: "Potholes",
      extended_attributes: { title: "Kuoppa suojatiellä, syvä.", detailed_status: "IN_PROCESS" },
    });
  });

  const refusals: Array<[string, Record<string, string>, number, RegExp]> = [
    ["no api key", { ...VALID_POST, api_key: "" }, 403, /API key/],
    ["a wrong api key", { ...VALID_POST, api_key: "nope" }, 403, /API key/],
    ["a 9-character description", { ...VALID_POST, description: "123456789" }, 400, /10–5000/],
    ["a 5,001-character description", { ...VALID_POST, description: "x".repeat(5001) }, 400, /10–5000/],
    ["no service code", { ...VALID_POST, service_code: "" }, 400, /service_code/],
    ["an unknown service code", { ...VALID_POST, service_code: "9999" }, 400, /service_code/],
    ["no location", { api_key: "sim-api-key", service_code: "171", description: "Kuoppa tiessä jossain." }, 400, /location/],
    ["a media_url without extension", { ...VALID_POST, media_url: "https://x.example/photo" }, 400, /media_url/],
  ];
  it.each(refusals)("refuses %s", async (_label, fields, status, description) => {
    const { sim, post } = simulator();
    const answer = await post("/requests.json", fields);
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual([{ code: status, description: expect.stringMatching(description) }]);
    expect(sim.store.cases.size).toBe(0);
  });

  it("accepts the description limits and an address instead of coordinates", async () => {
    const { post } = simulator();
    expect((await post("/requests.json", { ...VALID_POST, description: "1234567890" })).status).toBe(200);
    expect((await post("/requests.json", { ...VALID_POST, description: "x".repeat(5000) })).status).toBe(200);
    const byAddress = {
      api_key: "sim-api-key",
      service_code: "246",
      description: "Roskia rannalla.",
      address_string: "Vuotie 1",
    };
    expect((await post("/requests.json", byAddress)).status).toBe(200);
  });

  it("titles a request without a title by cutting its description to 27 characters", async () => {
    const { sim, post } = simulator();
    await post("/requests.json", { ...VALID_POST, description: "Liikennemerkki on kaatunut pyörätien yli." });
    const [created] = [...sim.store.cases.values()];
    expect(created?.record.extended_attributes?.title).toBe("Liikennemerkki on kaatunut ...");
  });

  it("hides a moderated request from lists and shows part of it by id", async () => {
    const { sim, get, post, setClock } = simulator({ moderationDelayMs: 60_000 });
    const answer = (await post("/requests.json", VALID_POST)).body as Array<{ service_request_id: string }>;
    const id = answer[0]?.service_request_id ?? "";
    expect((await get("/requests.json")).body).toEqual([]);
    const byId = (await get(`/requests/${id}.json?extensions=true`)).body as Array<Record<string, unknown>>;
    expect(byId[0]).toEqual({
      service_request_id: id,
      status: "open",
      service_code: "171",
      service_name: "Potholes",
      requested_datetime: "2026-03-01T12:00:00+02:00",
      updated_datetime: "2026-03-01T12:00:00+02:00",
      extended_attributes: { detailed_status: "IN_PROCESS" },
    });
    expect(sim.state()).toMatchObject({ cases: 1, published: 0, unpublished: 1 });
    setClock(NOW + 60_000);
    const listed = (await get("/requests.json")).body as Array<Record<string, unknown>>;
    expect(listed.map((row) => row.service_request_id)).toEqual([id]);
    expect(listed[0]?.updated_datetime).toBe("2026-03-01T12:01:00+02:00");
  });
});

describe("Helsinki simulator: reading", () => {
  it("serves services in English by default and Finnish on request", async () => {
    const { get } = simulator();
    const english = (await get("/services.json")).body as Array<Record<string, unknown>>;
    expect(english).toHaveLength(15);
    expect(english.find((service) => service.service_code === "171")?.service_name).toBe("Potholes");
    const finnish = (await get("/services.json?locale=fi_FI")).body as Array<Record<string, unknown>>;
    expect(finnish.find((service) => service.service_code === "171")?.service_name).toBe("Katujen kunto");
    expect((await get("/services/2809.json")).body).toEqual({ service_code: "2809", attributes: [] });
    expect((await get("/services/1.json")).status).toBe(404);
  });

  it("answers JSON only, with GeoReport errors", async () => {
    const { get } = simulator();
    for (const path of ["/requests.xml", "/services.xml", "/requests/abc.xml", "/services/171.xml"]) {
      const answer = await get(path);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual([{ code: 400, description: expect.stringMatching(/JSON/) }]);
    }
    expect(await get("/nothing-here")).toEqual({ status: 404, body: [{ code: 404, description: "Not found" }] });
    expect((await get("/requests/unknown.json")).status).toBe(404);
    const discovery = (await get("/discovery.json")).body as { endpoints: Array<{ formats: string[] }> };
    expect(discovery.endpoints[0]?.formats).toEqual(["application/json"]);
  });

  it("filters by updated window with both bounds exclusive, sorted by updated_datetime", async () => {
    const { sim, get } = simulator();
    sim.addCase(record("c", "2026-02-10T12:00:00Z"));
    sim.addCase(record("a", "2026-02-10T10:00:00Z"));
    sim.addCase(record("b", "2026-02-10T11:00:00Z"));
    const rows = async (query: string) =>
      ((await get(`/requests.json?${query}`)).body as Array<Record<string, unknown>>).map((row) => row.service_request_id);
    expect(await rows("updated_after=2026-02-10T00:00:00Z&updated_before=2026-02-11T00:00:00Z")).toEqual(["a", "b", "c"]);
    expect(await rows("updated_after=2026-02-10T10:00:00Z&updated_before=2026-02-10T12:00:00Z")).toEqual(["b"]);
    expect(await rows("service_request_id=c,a")).toEqual(["a", "c"]);
  });

  it("lists a case by its new time after the time changed in place (parsed times are cached)", async () => {
    const { sim, get } = simulator();
    sim.addCase(record("a", "2026-02-10T10:00:00Z"));
    sim.addCase(record("b", "2026-02-10T11:00:00Z"));
    const rows = async (query: string) =>
      ((await get(`/requests.json?${query}`)).body as Array<Record<string, unknown>>).map((row) => row.service_request_id);
    const day = "updated_after=2026-02-10T00:00:00Z&updated_before=2026-02-11T00:00:00Z";
    expect(await rows(day)).toEqual(["a", "b"]);
    const stored = sim.store.cases.get("a");
    if (stored === undefined) throw new Error("case a is missing");
    stored.record.updated_datetime = "2026-02-10T12:00:00Z";
    expect(await rows(day)).toEqual(["b", "a"]);
    expect(await rows("updated_after=2026-02-10T09:00:00Z&updated_before=2026-02-10T10:30:00Z")).toEqual([]);
  });

  it("filters by service code, status and requested date, defaulting to the last 90 days", async () => {
    const { sim, get } = simulator();
    sim.addCase(record("old", "2025-10-01T00:00:00Z"));
    sim.addCase(record("pothole", "2026-02-01T00:00:00Z"));
    sim.addCase(record("litter", "2026-02-02T00:00:00Z", { service_code: "246", status: "closed" }));
    const rows = async (query: string) =>
      ((await get(`/requests.json?${query}`)).body as Array<Record<string, unknown>>).map((row) => row.service_request_id);
    expect(await rows("")).toEqual(["pothole", "litter"]);
    expect(await rows("service_code=246")).toEqual(["litter"]);
    expect(await rows("status=open")).toEqual(["pothole"]);
    expect(await rows("status=open,closed&start_date=2025-09-01T00:00:00Z&end_date=2025-11-01T00:00:00Z")).toEqual(["old"]);
  });

  it("refuses bad filters and spans over 90 days", async () => {
    const { get } = simulator();
    expect((await get("/requests.json?status=pending")).status).toBe(400);
    expect((await get("/requests.json?updated_after=yesterday")).status).toBe(400);
    expect((await get("/requests.json?updated_after=2026-02-01T00:00:00Z&updated_before=2026-01-01T00:00:00Z")).status).toBe(400);
    expect((await get("/requests.json?start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z")).status).toBe(400);
    expect((await get("/requests.json?updated_after=2025-01-01T00:00:00Z&updated_before=2025-04-01T00:00:00Z")).status).toBe(200);
  });

  it("cuts a list at 200 rows, oldest first", async () => {
    const { sim, get } = simulator();
    sim.generateCases(260, { from: NOW - 10 * DAY_MS, to: NOW });
    const rows = (await get(`/requests.json?updated_after=${new Date(NOW - 20 * DAY_MS).toISOString()}`)).body as Array<
      Record<string, string>
    >;
    expect(rows).toHaveLength(200);
    const times = rows.map((row) => Date.parse(row.updated_datetime ?? ""));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(rows.every((row) => row.extended_attributes === undefined)).toBe(true);
  });

  it("extracts records from list files, single records and documented-example objects", () => {
    expect(extractWireRecords([1, 2])).toEqual([1, 2]);
    expect(extractWireRecords({ service_request_id: "x" })).toEqual([{ service_request_id: "x" }]);
    const examples = {
      services: [{ service_code: "1" }],
      answer: [{ service_request_id: "x", service_notice: "" }],
      list: [record("a", "2026-01-01T00:00:00Z"), record("b", "2026-01-01T00:00:00Z")],
    };
    expect(extractWireRecords(examples)).toEqual(examples.list);
    expect(extractWireRecords("nope")).toEqual([]);
  });

  it("keeps the most recent version when a record is added twice, and reports records that are not cases", () => {
    const { sim } = simulator();
    const result = sim.addCases([
      record("x", "2026-01-02T00:00:00Z", { description: "newer" }),
      record("x", "2026-01-01T00:00:00Z", { description: "older" }),
      { service_request_id: "no-status", service_code: "171" },
    ]);
    expect(result.added).toBe(2);
    expect(result.rejected).toEqual([{ index: 2, reason: expect.stringMatching(/status/) }]);
    expect(sim.store.cases.get("x")?.record.description).toBe("newer");
    expect(() => sim.addCase({ nope: true })).toThrow(/not a service request/);
  });

  it("generates the same cases for the same seed", () => {
    const first = simulator().sim.generateCases(5);
    const second = simulator().sim.generateCases(5);
    expect(second).toEqual(first);
  });
});

describe("Helsinki simulator: updates and city-side changes", () => {
  const UPDATE = {
    api_key: "sim-api-key",
    service_request_id: "case-1",
    update_id: "u1",
    updated_datetime: "2026-03-01T10:00:00Z",
    status: "IN_PROGRESS",
    description: "Työ aloitettu.",
  };

  it("validates updates", async () => {
    const { sim, post } = simulator();
    sim.addCase(record("case-1", "2026-02-01T00:00:00Z"));
    sim.addCase(record("case-2", "2026-02-01T00:00:00Z"));
    expect((await post("/servicerequestupdates.json", { ...UPDATE, api_key: "x" })).status).toBe(403);
    expect((await post("/servicerequestupdates.json", { ...UPDATE, description: "" })).status).toBe(400);
    expect((await post("/servicerequestupdates.json", { ...UPDATE, status: "DONE" })).status).toBe(400);
    expect((await post("/servicerequestupdates.json", { ...UPDATE, updated_datetime: "soon" })).status).toBe(400);
    expect((await post("/servicerequestupdates.json", { ...UPDATE, service_request_id: "nope" })).status).toBe(404);
    expect((await post("/servicerequestupdates.json", UPDATE)).body).toEqual([{ update_id: "u1" }]);
    const reused = await post("/servicerequestupdates.json", { ...UPDATE, service_request_id: "case-2" });
    expect(reused).toEqual({ status: 400, body: [{ code: 400, description: expect.stringMatching(/already used/) }] });
  });

  it("reflects an update into a case without a detailed status and hands it over first", async () => {
    const { sim, post } = simulator();
    sim.addCase(record("case-1", "2026-02-01T00:00:00Z"));
    await post("/servicerequestupdates.json", { ...UPDATE, external_status_code: "PUBLIC_WORKS_NEW" });
    const stored = sim.store.cases.get("case-1")?.record;
    expect(stored?.extended_attributes?.detailed_status).toBe("IN_PROCESS,PUBLIC_WORKS_NEW");
    expect(stored?.status).toBe("open");
    expect(stored?.status_notes).toBe("Työ aloitettu.");
    expect(stored?.updated_datetime).toBe("2026-03-01T12:00:00+02:00");
    expect(stored?.extended_attributes?.tasks?.map((task) => task.task_type)).toEqual(["moved_to_other_system"]);
  });

  it("lists updates by their date", async () => {
    const { sim, post, get } = simulator();
    sim.addCase(record("case-1", "2026-02-01T00:00:00Z"));
    await post("/servicerequestupdates.json", UPDATE);
    await post("/servicerequestupdates.json", { ...UPDATE, update_id: "u2", updated_datetime: "2026-03-05T10:00:00Z" });
    const ids = async (query: string) =>
      ((await get(`/servicerequestupdates.json?${query}`)).body as Array<Record<string, unknown>>).map((u) => u.update_id);
    expect(await ids("")).toEqual(["u1", "u2"]);
    expect(await ids("start_date=2026-03-02T00:00:00Z")).toEqual(["u2"]);
    expect(await ids("end_date=2026-03-02T00:00:00Z&service_request_id=case-1")).toEqual(["u1"]);
  });

  it("closes a case at the desk keeping its works state", () => {
    const { sim } = simulator();
    sim.addCase(
      record("case-1", "2026-02-01T00:00:00Z", { extended_attributes: { detailed_status: "IN_PROCESS,PUBLIC_WORKS_COMPLETED" } }),
    );
    expect(sim.closeCase("case-1", "Kiitos, asia on hoidettu.")).toBe(true);
    const stored = sim.store.cases.get("case-1")?.record;
    expect(stored).toMatchObject({ status: "closed", status_notes: "Kiitos, asia on hoidettu." });
    expect(stored?.extended_attributes?.detailed_status).toBe("PROCESSED,PUBLIC_WORKS_COMPLETED");
    expect(sim.closeCase("nope")).toBe(false);
  });
});

describe("Helsinki simulator: knobs", () => {
  it("sets knobs over HTTP, refuses bad ones, and reports state", async () => {
    const { sim } = simulator();
    const set = await sim.app.request("/__sim/knobs", { method: "POST", body: JSON.stringify({ errorRate: 1 }) });
    expect(set.status).toBe(200);
    expect(sim.knobs.errorRate).toBe(1);
    const failing = await sim.app.request("/services.json");
    expect(failing.status).toBe(503);
    expect(await failing.json()).toEqual([{ code: 503, description: "Service temporarily unavailable" }]);
    const bad = await sim.app.request("/__sim/knobs", { method: "POST", body: JSON.stringify({ errorRate: 2, unknown: true }) });
    expect(bad.status).toBe(400);
    expect(sim.knobs.errorRate).toBe(1);
    const state = (await (await sim.app.request("/__sim/state")).json()) as Record<string, unknown>;
    expect(state).toMatchObject({ cases: 0, updates: 0, stats: { open311Calls: 1, faultsInjected: 1 }, knobs: { errorRate: 1 } });
  });

  it("injects errors at the configured rate, reproducibly", async () => {
    const outcomes = async () => {
      const { sim } = simulator({ knobs: { errorRate: 0.3 } });
      const statuses: number[] = [];
      for (let i = 0; i < 200; i += 1) statuses.push((await sim.app.request("/services.json")).status);
      return statuses;
    };
    const first = await outcomes();
    const failures = first.filter((status) => status === 503).length;
    expect(failures).toBeGreaterThan(40);
    expect(failures).toBeLessThan(80);
    expect(await outcomes()).toEqual(first);
  });

  it("serves lat/long as strings when asked", async () => {
    const { sim, get } = simulator({ knobs: { latLongAsStrings: true } });
    sim.addCase(record("x", "2026-02-01T00:00:00Z", { lat: 60.2, long: 25.1 }));
    const [row] = (await get("/requests.json")).body as Array<Record<string, unknown>>;
    expect(row).toMatchObject({ lat: "60.2", long: "25.1" });
    expect(sim.store.cases.get("x")?.record.lat).toBe(60.2);
  });
});
