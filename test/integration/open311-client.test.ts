import { afterEach, describe, expect, it } from "vitest";
import { createOpen311CaseSystem, type Open311CaseSystemOptions } from "../../adapters/open311/client.ts";
import { parseCaseRecord } from "../../adapters/open311/parse.ts";
import type { HelsinkiSimulatorOptions } from "../../adapters/open311/simulator/helsinki-simulator.ts";
import { loadRecordsFromFile } from "../../adapters/open311/simulator/load-records.ts";
import { type RunningHelsinkiSimulator, startHelsinkiSimulator } from "../../adapters/open311/simulator/serve.ts";
import { isSiltaError, type SiltaError } from "../../src/kernel/errors.ts";
import type { CaseStatusUpdate } from "../../src/ports/case-system.ts";
import { HELSINKI_DATA_DIR } from "../support/paths.ts";

/** The real Open311 client against the Helsinki simulator over real HTTP on loopback. */

const DAY_MS = 86_400_000;
const START = Date.parse("2026-03-01T10:00:00Z");
const DATA_DIR = `${HELSINKI_DATA_DIR}/`;

let clock = START;
const running: RunningHelsinkiSimulator[] = [];

async function startSim(options: HelsinkiSimulatorOptions = {}) {
  clock = START;
  const server = await startHelsinkiSimulator({ seed: 42, now: () => clock, ...options });
  running.push(server);
  const client = (extra: Partial<Open311CaseSystemOptions> = {}) =>
    createOpen311CaseSystem({ baseUrl: server.url, apiKey: server.sim.apiKey, timeoutMs: 5000, ...extra });
  return { server, sim: server.sim, client: client(), makeClient: client };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function rejectionOf(promise: Promise<unknown>): Promise<SiltaError> {
  try {
    await promise;
  } catch (error) {
    if (isSiltaError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

/** A fixed case handed to field work, for write-back tests. */
const HANDED_OVER = {
  service_request_id: "0123456789abcdefghij",
  status: "closed",
  status_notes: "Välitetty kunnossapitoon.",
  service_code: "171",
  service_name: "Potholes",
  description: "Kuoppa ajoradalla osoitteessa Kontulantie 5.",
  requested_datetime: "2026-02-27T09:00:00+02:00",
  updated_datetime: "2026-02-28T09:00:00+02:00",
  lat: 60.236,
  long: 25.083,
  extended_attributes: {
    title: "Kuoppa",
    detailed_status: "PROCESSED,PUBLIC_WORKS_NEW",
    tasks: [
      {
        task_created: "2026-02-27T09:00:00+02:00",
        task_modified: "2026-02-28T09:00:00+02:00",
        owner_name: "Rakennusvirasto",
        task_type: "moved_to_other_system",
        task_state: "completed",
      },
    ],
  },
};

function update(overrides: Partial<CaseStatusUpdate> = {}): CaseStatusUpdate {
  return {
    serviceRequestId: HANDED_OVER.service_request_id,
    updateId: "silta-update-1",
    updatedAt: new Date(START).toISOString(),
    status: "IN_PROGRESS",
    description: "Korjaustyö on aloitettu.",
    externalStatusCode: "PUBLIC_WORKS_IN_PROGRESS",
    ...overrides,
  };
}

describe("Open311 client against the Helsinki simulator", () => {
  it("walks windows over more than 200 cases, shrinking capped windows, and returns each once", async () => {
    const { sim, client } = await startSim();
    sim.generateCases(450, { from: START - 10 * DAY_MS, to: START });
    const cases = await client.listChangedCases(new Date(START - 10 * DAY_MS), new Date(START));
    const ids = cases.map((record) => record.serviceRequestId);
    expect(new Set(ids).size).toBe(450);
    expect([...ids].sort()).toEqual([...sim.store.cases.keys()].sort());
    // One call cannot hold 450 rows: the walk had to split.
    expect(sim.state().stats.open311Calls).toBeGreaterThan(3);
    // Oldest first, and every record has numbers for coordinates and its tasks.
    const times = cases.map((record) => Date.parse(record.updatedAt ?? ""));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(cases.every((record) => typeof record.lat === "number" && record.tasks.length > 0)).toBe(true);
  });

  it("keeps every call within 90 days over a longer period", async () => {
    const { server, sim, client } = await startSim();
    sim.generateCases(120, { from: START - 200 * DAY_MS, to: START });
    // The simulator refuses a span over 90 days rather than cutting it…
    const refused = await fetch(
      `${server.url}/requests.json?updated_after=2025-01-01T00:00:00Z&updated_before=2025-04-02T00:00:00Z`,
    );
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual([{ code: 400, description: expect.stringMatching(/90 days/) }]);
    // …so the client listing 200 days succeeds only by keeping each call within the limit.
    const cases = await client.listChangedCases(new Date(START - 200 * DAY_MS), new Date(START));
    expect(cases).toHaveLength(120);
  });

  it("de-duplicates rows the city repeats across adjacent windows", async () => {
    const { sim, client } = await startSim({ knobs: { duplicateAcrossWindows: true } });
    // Dense enough (one case a minute or so) that window edges have neighbours within a minute.
    sim.generateCases(600, { from: START - DAY_MS / 2, to: START });
    const cases = await client.listChangedCases(new Date(START - DAY_MS / 2), new Date(START));
    const ids = cases.map((record) => record.serviceRequestId);
    expect(sim.state().stats.duplicateRowsServed).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(600);
  });

  it("reads lat/long served as strings as numbers", async () => {
    const { server, sim, client } = await startSim({ knobs: { latLongAsStrings: true } });
    const [generated] = sim.generateCases(1, { from: START - DAY_MS, to: START });
    const id = String(generated?.record.service_request_id);
    const raw = (await (await fetch(`${server.url}/requests/${id}.json`)).json()) as Array<Record<string, unknown>>;
    expect(typeof raw[0]?.lat).toBe("string");
    const record = await client.getCase(id);
    expect(record?.lat).toBe(generated?.record.lat);
    expect(record?.long).toBe(generated?.record.long);
    const listed = await client.listChangedCases(new Date(START - DAY_MS), new Date(START));
    expect(listed[0]?.lat).toBe(generated?.record.lat);
  });

  it("answers null for an unknown id and the full record for a known one", async () => {
    const { sim, client } = await startSim();
    sim.addCase(HANDED_OVER);
    expect(await client.getCase("vvvvvvvvvvvvvvvvvvvv")).toBeNull();
    const record = await client.getCase(HANDED_OVER.service_request_id);
    expect(record).toMatchObject({ deskStatus: "PROCESSED", worksStatus: "PUBLIC_WORKS_NEW", title: "Kuoppa" });
    expect(record?.tasks).toHaveLength(1);
  });

  it("reads many cases by id in lists of 100 and leaves out what the lists do not answer", async () => {
    const { sim, client } = await startSim();
    const generated = sim.generateCases(150, { from: START - DAY_MS, to: START });
    clock = START + DAY_MS; // past any moderation delay: the lists show only published cases
    sim.addCase(HANDED_OVER);
    const ids = [...generated.map((item) => String(item.record.service_request_id)), HANDED_OVER.service_request_id];
    const callsBefore = sim.store.stats.open311Calls;
    const records = await client.getCases?.([...ids, "vvvvvvvvvvvvvvvvvvvv"]);
    expect(sim.store.stats.open311Calls - callsBefore).toBe(2);
    expect(new Set(records?.map((record) => record.serviceRequestId))).toEqual(new Set(ids));
    expect(records?.find((record) => record.serviceRequestId === HANDED_OVER.service_request_id)?.worksStatus).toBe(
      "PUBLIC_WORKS_NEW",
    );
  });

  it("shows a moderated request only by id until the moderation delay passes", async () => {
    const { server, client } = await startSim({ moderationDelayMs: 15 * 60_000 });
    const posted = await fetch(`${server.url}/requests.json`, {
      method: "POST",
      body: new URLSearchParams({
        api_key: server.sim.apiKey,
        service_code: "198",
        description: "Liikennemerkki on kaatunut pyörätien yli.",
        lat: "60.2101",
        long: "25.0812",
      }),
    });
    expect(posted.status).toBe(200);
    const [answer] = (await posted.json()) as Array<{ service_request_id: string; service_notice: string }>;
    const id = answer?.service_request_id ?? "";
    expect(id).toMatch(/^[0-9a-v]{20}$/);

    const whileModerated = await client.getCase(id);
    expect(whileModerated).toMatchObject({
      serviceRequestId: id,
      status: "open",
      deskStatus: "IN_PROCESS",
      description: null,
      lat: null,
    });
    expect(await client.listChangedCases(new Date(START - DAY_MS), new Date(START + DAY_MS))).toEqual([]);

    clock = START + 16 * 60_000;
    const listed = await client.listChangedCases(new Date(START - DAY_MS), new Date(START + DAY_MS));
    expect(listed.map((record) => record.serviceRequestId)).toEqual([id]);
    // Publishing moved updated_datetime, so a poller past the creation time still sees it.
    expect(Date.parse(listed[0]?.updatedAt ?? "")).toBe(START + 15 * 60_000);
    expect(listed[0]?.description).toBe("Liikennemerkki on kaatunut pyörätien yli.");
    expect(listed[0]?.title).toBe("Liikennemerkki on kaatunut ...");
  });

  it("writes field status back and sees it reflected in the case", async () => {
    const { sim, client } = await startSim();
    sim.addCase(HANDED_OVER);
    clock = START + 60_000;
    const answer = await client.postStatusUpdate(update());
    expect(answer).toEqual({ updateId: "silta-update-1" });

    const record = await client.getCase(HANDED_OVER.service_request_id);
    expect(record).toMatchObject({
      status: "closed",
      deskStatus: "PROCESSED",
      worksStatus: "PUBLIC_WORKS_IN_PROGRESS",
      detailedStatusRaw: "PROCESSED,PUBLIC_WORKS_IN_PROGRESS",
      statusNotes: "Korjaustyö on aloitettu.",
    });
    expect(Date.parse(record?.updatedAt ?? "")).toBe(START + 60_000);
    expect(record?.tasks).toHaveLength(2);
    expect(record?.tasks[1]).toMatchObject({ type: "informed", ownerName: "Stara" });

    // The change surfaces in the next polling window.
    const changed = await client.listChangedCases(new Date(START), new Date(START + 120_000));
    expect(changed.map((r) => r.serviceRequestId)).toEqual([HANDED_OVER.service_request_id]);
  });

  it("maps an update status to a PUBLIC_WORKS state when no external code is sent", async () => {
    const { sim, client } = await startSim();
    sim.addCase(HANDED_OVER);
    await client.postStatusUpdate(update({ status: "FIXED", externalStatusCode: null, updateId: "u-fixed" }));
    expect((await client.getCase(HANDED_OVER.service_request_id))?.worksStatus).toBe("PUBLIC_WORKS_COMPLETED");
  });

  it("applies a repeated update_id only once", async () => {
    const { server, sim, client } = await startSim();
    sim.addCase(HANDED_OVER);
    await client.postStatusUpdate(update());
    clock = START + 5 * 60_000;
    const again = await client.postStatusUpdate(update({ status: "FIXED", externalStatusCode: "PUBLIC_WORKS_COMPLETED" }));
    expect(again).toEqual({ updateId: "silta-update-1" });
    const record = await client.getCase(HANDED_OVER.service_request_id);
    expect(record?.worksStatus).toBe("PUBLIC_WORKS_IN_PROGRESS");
    expect(record?.tasks).toHaveLength(2);
    expect(sim.store.updates.size).toBe(1);
    const listed = (await (await fetch(`${server.url}/servicerequestupdates.json`)).json()) as unknown[];
    expect(listed).toEqual([
      expect.objectContaining({
        update_id: "silta-update-1",
        service_request_id: HANDED_OVER.service_request_id,
        status: "IN_PROGRESS",
        external_status_code: "PUBLIC_WORKS_IN_PROGRESS",
      }),
    ]);
  });

  it("sees a case the city cancelled", async () => {
    const { sim, client } = await startSim();
    sim.addCase(HANDED_OVER);
    clock = START + 60_000;
    expect(sim.cancelCase(HANDED_OVER.service_request_id, "Ilmoitus oli kaksoiskappale.")).toBe(true);
    expect(sim.cancelCase("unknown")).toBe(false);
    const [record] = await client.listChangedCases(new Date(START), new Date(START + 120_000));
    expect(record).toMatchObject({
      status: "closed",
      deskStatus: "REJECTED",
      worksStatus: null,
      statusNotes: "Ilmoitus oli kaksoiskappale.",
    });
  });

  it("classifies failures: outage and 5xx retryable, bad key auth, unknown case permanent, no server transient", async () => {
    const { server, sim, client, makeClient } = await startSim();
    sim.addCase(HANDED_OVER);

    sim.knobs.outage = true;
    const outage = await rejectionOf(client.listChangedCases(new Date(START - DAY_MS), new Date(START)));
    expect(outage).toMatchObject({ code: "case_system_unavailable", retryable: true, httpStatus: 503, retryAfterMs: 1000 });
    sim.setKnobs({ outage: false });

    const badKey = await rejectionOf(makeClient({ apiKey: "wrong" }).postStatusUpdate(update()));
    expect(badKey).toMatchObject({ code: "case_system_auth_failed", errorClass: "auth", retryable: false, httpStatus: 403 });
    expect(badKey.message).toContain("Missing or invalid API key.");

    const noKey = await rejectionOf(makeClient({ apiKey: undefined }).postStatusUpdate(update()));
    expect(noKey).toMatchObject({ code: "case_system_auth_failed", errorClass: "auth" });

    const unknown = await rejectionOf(client.postStatusUpdate(update({ serviceRequestId: "vvvvvvvvvvvvvvvvvvvv" })));
    expect(unknown).toMatchObject({ code: "case_system_rejected", errorClass: "permanent", httpStatus: 404 });

    await server.close();
    const gone = await rejectionOf(client.getCase(HANDED_OVER.service_request_id));
    expect(gone).toMatchObject({ code: "case_system_unavailable", retryable: true });
  });

  it("fails a slow call by its timeout as retryable", async () => {
    const { sim, makeClient } = await startSim({ knobs: { latencyMs: 300 } });
    sim.addCase(HANDED_OVER);
    const slow = await rejectionOf(makeClient({ timeoutMs: 50 }).getCase(HANDED_OVER.service_request_id));
    expect(slow).toMatchObject({ code: "case_system_unavailable", retryable: true });
    expect(slow.message).toMatch(/timed out/);
  });

  it("serves real Helsinki records loaded from the data files, unchanged through the client", async () => {
    const { sim, client } = await startSim();
    for (const name of [
      "helsinki-requests-2014-2016-reconstructed-subset.json",
      "helsinki-doc-examples.json",
      "helsinki-request-with-tasks-2016-03.json",
      "helsinki-requests-2015-11-from-6aika-swagger.json",
    ]) {
      const loaded = await loadRecordsFromFile(`${DATA_DIR}${name}`, sim);
      expect(loaded.rejected).toEqual([]);
      expect(loaded.added).toBeGreaterThan(0);
    }
    // 101 + 2 distinct from the examples (one listed twice) + 1 + 1 (the other 6Aika sample is in the subset too).
    expect(sim.store.cases.size).toBe(105);
    // More than three years in 90-day windows.
    const all = await client.listChangedCases(new Date("2013-01-01T00:00:00Z"), new Date("2016-12-31T00:00:00Z"));
    expect(all).toHaveLength(105);
    const fromClient = all.find((record) => record.serviceRequestId === "14qbusjsi0t1e82d5f0m");
    const stored = sim.store.cases.get("14qbusjsi0t1e82d5f0m");
    const direct = parseCaseRecord(stored?.record);
    expect(direct.ok && direct.record).toEqual(fromClient);
    expect(fromClient?.tasks).toHaveLength(9);
    // The documented example listed twice keeps its later (by-id) version.
    expect((await client.getCase("8fmht6g1470b3qk8pthg"))?.title).toBe("Monttu tiessä");
  });

  it("preloads record files when started with recordsFiles", async () => {
    const server = await startHelsinkiSimulator({ recordsFiles: [`${DATA_DIR}helsinki-request-with-tasks-2016-03.json`] });
    running.push(server);
    const record = await createOpen311CaseSystem({ baseUrl: server.url }).getCase("3qp16kaphhsc78uc422l");
    expect(record?.tasks).toHaveLength(7);
    expect(record?.lat).toBe(22.266944);
  });
});
