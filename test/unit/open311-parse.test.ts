import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCaseList, parseCaseRecord, splitDetailedStatus } from "../../adapters/open311/parse.ts";
import type { CaseRecord } from "../../src/ports/case-system.ts";
import { HELSINKI_DATA_DIR } from "../support/paths.ts";

/** Real Helsinki records (© City of Helsinki), read as fixtures. */
const DATA_DIR = `${HELSINKI_DATA_DIR}/`;

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(`${DATA_DIR}${name}`, "utf8"));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The request records of one data file: list files are arrays, the tasks file is one record,
 * and the documented examples hold record arrays under keys naming `GET requests` calls (the
 * other keys hold services, POST answers, fragments and an error body).
 */
function recordsOf(name: string): unknown[] {
  const json = readJson(name);
  if (Array.isArray(json)) return json;
  if (!isObject(json)) return [];
  if ("service_request_id" in json) return [json];
  return Object.entries(json)
    .filter(([key, value]) => key.startsWith("GET requests") && Array.isArray(value))
    .flatMap(([, value]) => value as unknown[]);
}

const REQUEST_FILES = readdirSync(DATA_DIR).filter(
  (name) => name.endsWith(".json") && !name.includes("stats") && !name.includes("service"),
);

function mustParse(raw: unknown): CaseRecord {
  const result = parseCaseRecord(raw);
  if (!result.ok) throw new Error(`expected a record, got: ${result.reason}`);
  return result.record;
}

const allRecords = new Map<string, { raw: unknown; record: CaseRecord }>();
for (const name of REQUEST_FILES) {
  for (const raw of recordsOf(name)) {
    const result = parseCaseRecord(raw);
    if (result.ok) allRecords.set(`${name}:${result.record.serviceRequestId}`, { raw, record: result.record });
  }
}

function byId(id: string): CaseRecord {
  const found = [...allRecords.values()].filter(({ record }) => record.serviceRequestId === id);
  const last = found[found.length - 1];
  if (last === undefined) throw new Error(`no record ${id} in the data`);
  return last.record;
}

describe("parseCaseRecord on every real Helsinki record", () => {
  it("finds the request files and their records", () => {
    expect(REQUEST_FILES).toEqual(
      expect.arrayContaining([
        "helsinki-doc-examples.json",
        "helsinki-request-with-tasks-2016-03.json",
        "helsinki-requests-2014-2016-reconstructed-subset.json",
        "helsinki-requests-2015-11-from-6aika-swagger.json",
      ]),
    );
    const counts = Object.fromEntries(REQUEST_FILES.map((name) => [name, recordsOf(name).length]));
    expect(counts["helsinki-requests-2014-2016-reconstructed-subset.json"]).toBe(101);
    expect(counts["helsinki-doc-examples.json"]).toBe(3);
    expect(counts["helsinki-request-with-tasks-2016-03.json"]).toBe(1);
    expect(counts["helsinki-requests-2015-11-from-6aika-swagger.json"]).toBe(2);
  });

  for (const name of REQUEST_FILES) {
    it(`parses every record of ${name}`, () => {
      const rows = recordsOf(name);
      expect(rows.length).toBeGreaterThan(0);
      for (const raw of rows) {
        const result = parseCaseRecord(raw);
        if (!result.ok) throw new Error(`${name}: rejected: ${result.reason}`);
        const record = result.record;
        const wire = raw as Record<string, unknown>;
        expect(record.serviceRequestId).toBe(wire.service_request_id);
        expect(typeof record.serviceRequestId).toBe("string");
        expect(typeof record.serviceCode).toBe("string");
        expect(["open", "closed"]).toContain(record.status);
        expect(record.lat === null || typeof record.lat === "number").toBe(true);
        expect(record.long === null || typeof record.long === "number").toBe(true);
        if (wire.lat !== undefined && wire.lat !== "") expect(record.lat).toBe(Number(wire.lat));
        const extended = isObject(wire.extended_attributes) ? wire.extended_attributes : {};
        if (Array.isArray(extended.tasks)) expect(record.tasks).toHaveLength(extended.tasks.length);
        if (typeof extended.detailed_status === "string") {
          expect(record.detailedStatusRaw).toBe(extended.detailed_status);
          expect(record.deskStatus).toBe(extended.detailed_status.split(",")[0]);
        }
        // `moved_to_other_system` appears exactly when a PUBLIC_WORKS_* state does (748 of 748 in Helsinki's data).
        if (Array.isArray(extended.tasks)) {
          expect(record.tasks.some((task) => task.type === "moved_to_other_system")).toBe(record.worksStatus !== null);
        }
      }
    });
  }

  it("keeps ids, tasks, media and both status dimensions of known records", () => {
    const withPhotos = byId("14qbusjsi0t1e82d5f0m");
    expect(withPhotos).toMatchObject({
      status: "closed",
      deskStatus: "PROCESSED",
      worksStatus: null,
      serviceCode: "198",
      serviceName: "Traffic signs",
      title: "Ristiriitainen nopeusrajoitus",
      lat: 60.1877848,
      long: 24.9712527,
      requestedAt: "2015-02-26T20:35:02Z",
    });
    expect(withPhotos.mediaUrls).toHaveLength(4);
    expect(withPhotos.mediaUrls[0]).toBe("https://asiointi.hel.fi/palautews/rest/v1/attachment/2hj4co0hnsd7tld7elc7.jpg");
    expect(withPhotos.tasks).toHaveLength(9);
    expect(withPhotos.tasks[0]).toEqual({
      createdAt: "2015-02-26T20:35:02Z",
      modifiedAt: "2015-02-27T13:16:23Z",
      ownerName: "Rakennusvirasto",
      type: "assigned",
      state: "re_assigned",
    });

    // closed at the desk while the field work is still in progress: never infer "done" from `closed`.
    const inProgress = byId("1t993r4o1imociq44jbn");
    expect(inProgress).toMatchObject({ status: "closed", deskStatus: "PROCESSED", worksStatus: "PUBLIC_WORKS_IN_PROGRESS" });
    expect(inProgress.tasks.map((task) => task.type)).toContain("moved_to_other_system");

    const handedOver = byId("nknntrvts88teoc63vtm");
    expect(handedOver).toMatchObject({ deskStatus: "PROCESSED", worksStatus: "PUBLIC_WORKS_NEW", serviceCode: "180" });
    expect(handedOver.tasks.map((task) => task.type)).toEqual(["assigned", "wait_for_answer", "moved_to_other_system"]);

    const openButInspected = byId("dl0n1e7afp1md2jnfe7q");
    expect(openButInspected).toMatchObject({
      status: "open",
      deskStatus: "IN_PROCESS",
      worksStatus: "PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION",
    });
    expect(openButInspected.tasks).toHaveLength(12);
  });

  it("reads the raw tasks record with string coordinates and an empty service name", () => {
    const record = byId("3qp16kaphhsc78uc422l");
    expect(record).toMatchObject({
      serviceCode: "584",
      serviceName: null,
      // Swapped by whoever saved the file; the parser keeps what it was given.
      lat: 22.266944,
      long: 60.451667,
      deskStatus: "PROCESSED",
      worksStatus: null,
      agencyResponsible: "Kaupunkisuunnitteluvirasto",
      updatedAt: "2016-03-24T16:06:40+02:00",
      mediaUrls: [],
      reporter: null,
    });
    expect(record.tasks).toHaveLength(7);
    expect(record.tasks[0]).toEqual({
      createdAt: "2016-03-22T13:27:16+02:00",
      modifiedAt: "2016-03-22T15:32:04+02:00",
      ownerName: "Kaupunginkanslia",
      type: "assigned",
      state: "re_assigned",
    });
  });

  it("reads the documented examples: string lat/long, empty zip_code, title from extensions", () => {
    const listed = parseCaseList(recordsOf("helsinki-doc-examples.json"));
    if (!listed.ok) throw new Error(listed.reason);
    expect(listed.rejects).toEqual([]);
    const [first, second, byIdVersion] = listed.records;
    expect(first).toMatchObject({
      serviceRequestId: "8fmht6g1470b3qk8pthg",
      lat: 60.21263634325148,
      long: 25.077090230550745,
      zipcode: null,
      serviceName: null,
      statusNotes: null,
      title: null,
      deskStatus: null,
    });
    expect(second).toMatchObject({ serviceRequestId: "1ju4p6v3e04pcpobfv7u", status: "closed", serviceCode: "178" });
    expect(byIdVersion).toMatchObject({
      title: "Monttu tiessä",
      deskStatus: "PROCESSED",
      updatedAt: "2013-05-15T08:55:09+03:00",
    });
  });

  it("reads records without extended attributes (6Aika sample): media_url alone, no tasks", () => {
    const record = byId("3uqqutuj6or12lpgbtnv");
    expect(record.mediaUrls).toEqual(["https://asiointi.hel.fi/palautews/rest/v1/attachment/g8md6a5a11r42jooc633.jpg"]);
    expect(record.tasks).toEqual([]);
    expect(record.detailedStatusRaw).toBeNull();
    expect(record.lat).toBe(60.2380422);
  });
});

const BASE = { service_request_id: "abcdefghij0123456789", service_code: "171", status: "open" };

describe("parseCaseRecord quirks", () => {
  const blankForms: Array<[string, Record<string, unknown>]> = [
    ['""', { description: "", address: "", zip_code: "", status_notes: "", service_name: "" }],
    ["null", { description: null, address: null, zip_code: null, status_notes: null, service_name: null }],
    ["missing", {}],
    ["whitespace", { description: "  ", address: "\n", zip_code: " ", status_notes: "\t", service_name: " " }],
  ];
  it.each(blankForms)("treats %s as null", (_label, fields) => {
    const record = mustParse({ ...BASE, ...fields });
    expect(record).toMatchObject({ description: null, address: null, zipcode: null, statusNotes: null, serviceName: null });
    expect(record.mediaUrls).toEqual([]);
    expect(record.tasks).toEqual([]);
    expect(record.reporter).toBeNull();
  });

  const coordinates: Array<[unknown, unknown, number | null, number | null]> = [
    ["60.1699", "24.9384", 60.1699, 24.9384],
    [60.1699, 24.9384, 60.1699, 24.9384],
    [" 60.1699 ", "24,9384", 60.1699, 24.9384],
    ["", "", null, null],
    [null, undefined, null, null],
    ["north", "NaN", null, null],
    ["95.5", "200", null, null],
    [{ value: 1 }, [24.9], null, null],
  ];
  it.each(coordinates)("lat %j long %j → %j %j", (lat, long, expectedLat, expectedLong) => {
    const record = mustParse({ ...BASE, lat, long });
    expect(record.lat).toBe(expectedLat);
    expect(record.long).toBe(expectedLong);
  });

  it("reads the duplicate mark from extended attributes or the top level; a case is never its own duplicate", () => {
    expect(mustParse({ ...BASE, extended_attributes: { duplicate_of: "2026-001" } }).duplicateOf).toBe("2026-001");
    expect(mustParse({ ...BASE, duplicate_of: "2026-002" }).duplicateOf).toBe("2026-002");
    expect(mustParse({ ...BASE, duplicate_of: BASE.service_request_id }).duplicateOf).toBeUndefined();
    expect(mustParse({ ...BASE, duplicate_of: "" }).duplicateOf).toBeUndefined();
    expect(mustParse(BASE)).not.toHaveProperty("duplicateOf");
  });

  it("reads zip_code and zipcode, preferring zipcode", () => {
    expect(mustParse({ ...BASE, zip_code: "00970" }).zipcode).toBe("00970");
    expect(mustParse({ ...BASE, zipcode: "00100" }).zipcode).toBe("00100");
    expect(mustParse({ ...BASE, zipcode: "00100", zip_code: "00970" }).zipcode).toBe("00100");
    expect(mustParse({ ...BASE, zipcode: "", zip_code: "00970" }).zipcode).toBe("00970");
  });

  it("keeps ids strings, turning numeric ids into strings, and accepts upper-case status", () => {
    const record = mustParse({ service_request_id: 12345678, service_code: 171, status: "CLOSED" });
    expect(record.serviceRequestId).toBe("12345678");
    expect(record.serviceCode).toBe("171");
    expect(record.status).toBe("closed");
    expect(mustParse({ ...BASE, service_request_id: "0012" }).serviceRequestId).toBe("0012");
  });

  it("merges media_urls and media_url without repeats", () => {
    const record = mustParse({
      ...BASE,
      media_url: "https://x.example/a.jpg",
      extended_attributes: { media_urls: ["https://x.example/a.jpg", "https://x.example/b.jpg", "", 7] },
    });
    expect(record.mediaUrls).toEqual(["https://x.example/a.jpg", "https://x.example/b.jpg"]);
    expect(mustParse({ ...BASE, media_url: "https://x.example/c.png" }).mediaUrls).toEqual(["https://x.example/c.png"]);
  });

  it("reads reporter fields only when one is present", () => {
    expect(mustParse({ ...BASE, first_name: "Maija", email: "" }).reporter).toEqual({
      firstName: "Maija",
      lastName: null,
      email: null,
      phone: null,
    });
    expect(mustParse({ ...BASE, first_name: "", last_name: null }).reporter).toBeNull();
  });

  it("reads service object fields and skips task entries that are not objects", () => {
    const record = mustParse({
      ...BASE,
      extended_attributes: {
        service_object_id: 10844,
        service_object_type: "http://www.hel.fi/servicemap/v2",
        tasks: [null, "x", { task_type: "assigned", task_state: "open", owner_name: "", task_created: "not a date" }],
      },
    });
    expect(record.serviceObjectId).toBe("10844");
    expect(record.serviceObjectType).toBe("http://www.hel.fi/servicemap/v2");
    expect(record.tasks).toEqual([{ createdAt: null, modifiedAt: null, ownerName: null, type: "assigned", state: "open" }]);
  });

  it("keeps datetimes as received and drops unreadable ones", () => {
    const record = mustParse({ ...BASE, updated_datetime: "2016-03-24T16:06:40+02:00", requested_datetime: "yesterday" });
    expect(record.updatedAt).toBe("2016-03-24T16:06:40+02:00");
    expect(record.requestedAt).toBeNull();
  });

  it("turns a datetime in another readable form (RFC 2822) into ISO 8601, which targets accept", () => {
    const record = mustParse({ ...BASE, requested_datetime: "Mon, 07 Dec 2026 09:00:00 +0200", updated_datetime: "2016-03-24" });
    expect(record.requestedAt).toBe("2026-12-07T07:00:00.000Z");
    expect(record.updatedAt).toBe("2016-03-24T00:00:00.000Z");
  });

  const rejects: Array<[string, unknown, RegExp]> = [
    ["an array", [BASE], /not a JSON object/],
    ["a string", "abc", /not a JSON object/],
    ["null", null, /not a JSON object/],
    ["no id", { service_code: "171", status: "open" }, /service_request_id is missing/],
    ["an empty id", { ...BASE, service_request_id: "  " }, /service_request_id is empty/],
    ["an object as id", { ...BASE, service_request_id: { id: 1 } }, /service_request_id is missing or not a string/],
    ["no status", { service_request_id: "abc", service_code: "171" }, /status is missing or not open\/closed/],
    ["an unknown status", { ...BASE, status: "pending" }, /status is missing or not open\/closed/],
    ["a service code that is not text", { ...BASE, service_code: { code: 1 } }, /service_code is not a string/],
  ];
  it.each(rejects)("rejects %s with a reason", (_label, raw, reason) => {
    const result = parseCaseRecord(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it("names the id of a rejected record when it can, and never echoes field values", () => {
    const result = parseCaseRecord({ service_request_id: "abc", service_code: "171", description: "soita 040 123 4567" });
    expect(result).toEqual({
      ok: false,
      reason: "status: status is missing or not open/closed",
      serviceRequestId: "abc",
    });
  });

  it("keeps a record without a service code as a case with an empty code (routing excludes it, the ledger counts it)", () => {
    expect(mustParse({ service_request_id: "abc", status: "open" }).serviceCode).toBe("");
    expect(mustParse({ ...BASE, service_code: "" }).serviceCode).toBe("");
    expect(mustParse({ ...BASE, service_code: "  " }).serviceCode).toBe("");
  });

  it("reads the status words other servers use, and no others", () => {
    expect(mustParse({ ...BASE, status: "Acknowledged" }).status).toBe("open");
    expect(mustParse({ ...BASE, status: "ARCHIVED" }).status).toBe("closed");
    expect(mustParse({ ...BASE, status: "in_progress" }).status).toBe("open");
    expect(parseCaseRecord({ ...BASE, status: "maybe" }).ok).toBe(false);
  });

  it("cleans text PostgreSQL cannot store and names the fields it cleaned, never their values", () => {
    const record = mustParse({
      ...BASE,
      description: "Kuoppa\u0000 tiellä",
      address: "Mannerheimintie \ud800 1",
      extended_attributes: { title: "ok", tasks: [{ owner_name: "Stara\u0001" }] },
    });
    expect(record.description).toBe("Kuoppa tiellä");
    expect(record.address).toBe("Mannerheimintie \ufffd 1");
    expect(record.tasks[0]?.ownerName).toBe("Stara");
    expect(record.cleanedFields).toEqual(["description", "address", "tasks[0].ownerName"]);
    expect(JSON.stringify(record.cleanedFields)).not.toContain("Kuoppa");
    expect(mustParse(BASE).cleanedFields).toBeUndefined();
  });

  it("splits detailed_status into desk and works parts", () => {
    expect(splitDetailedStatus("PROCESSED,PUBLIC_WORKS_COMPLETED")).toEqual({
      deskStatus: "PROCESSED",
      worksStatus: "PUBLIC_WORKS_COMPLETED",
    });
    expect(splitDetailedStatus("IN_PROCESS")).toEqual({ deskStatus: "IN_PROCESS", worksStatus: null });
    expect(splitDetailedStatus(" IN_PROCESS , PUBLIC_WORKS_NEW ")).toEqual({
      deskStatus: "IN_PROCESS",
      worksStatus: "PUBLIC_WORKS_NEW",
    });
    expect(splitDetailedStatus("PUBLIC_WORKS_NEW")).toEqual({ deskStatus: null, worksStatus: "PUBLIC_WORKS_NEW" });
    expect(splitDetailedStatus(null)).toEqual({ deskStatus: null, worksStatus: null });
  });
});

describe("parseCaseList", () => {
  it("returns good records and rejects with reasons and positions", () => {
    const result = parseCaseList([BASE, "junk", { ...BASE, service_request_id: "other", status: "???" }]);
    if (!result.ok) throw new Error(result.reason);
    expect(result.rowCount).toBe(3);
    expect(result.records.map((record) => record.serviceRequestId)).toEqual([BASE.service_request_id]);
    expect(result.rejects.map(({ index, serviceRequestId }) => ({ index, serviceRequestId }))).toEqual([
      { index: 1, serviceRequestId: null },
      { index: 2, serviceRequestId: "other" },
    ]);
    expect(result.rejects[1]?.reason).toMatch(/status/);
  });

  it("refuses a body that is not a list instead of reading it as no cases", () => {
    expect(parseCaseList([{ code: 403, description: "Missing or invalid API key." }]).ok).toBe(true);
    expect(parseCaseList({ error: "nope" })).toEqual({ ok: false, reason: "response body is not a JSON array" });
    expect(parseCaseList(null).ok).toBe(false);
  });
});
