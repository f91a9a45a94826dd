import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpen311CaseSystem } from "../../adapters/open311/client.ts";
import { startHelsinkiSimulator } from "../../adapters/open311/simulator/serve.ts";
import { reReadSource } from "../../src/domain/intake/anti-entropy.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { listQuarantinedRecords } from "../../src/domain/intake/intake-quarantine.ts";
import { pollCaseSystem } from "../../src/domain/intake/poll.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { SOURCE_PROFILES } from "../../src/ports/source-profile.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

/**
 * Intake against servers that are not Helsinki's: the simulator's generic profile pages its lists
 * (100 rows, newest first, paging headers), has no servicerequestupdates and means "resolved" by
 * closed; its Helsinki profile hides unpublished cases from the public list. Real HTTP on loopback.
 */

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());
beforeEach(async () => {
  await database.rows(
    sql`truncate reconciliation_findings, ledger_entries, inbox_events, outbox_jobs, links, cases, poll_cursors, source_quarantine restart identity`,
  );
});
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const NOW = Date.now();
const targets = () => ["stara", "contractor-east", "contractor-west"].map((id) => new FakeWorkOrderSystem(id));

describe("a server that pages its lists newest first (100 rows, paging headers)", () => {
  it("takes in every case of a burst larger than a page, with the generic profile and no configured cap", async () => {
    const server = await startHelsinkiSimulator({ seed: 11, profile: "generic" });
    closers.push(() => server.close());
    const ids = server.sim.generateCases(130, { from: NOW - 60_000, to: NOW - 1_000 }).map((g) => g.record.service_request_id);
    const caseSystem = createOpen311CaseSystem({ baseUrl: server.url, profile: SOURCE_PROFILES.generic });
    const deps = makeDeps(database, caseSystem, targets(), { pollLookbackMs: 3_600_000 });
    const summary = await pollCaseSystem(deps);
    expect(summary.new).toBe(130);
    const [row] = await database.rows<{ n: number }>(sql`select count(*)::int as n from cases`);
    expect(row?.n).toBe(ids.length);
    expect((await checkLedgerBalance(database)).balanced).toBe(true);
  });

  it("learns an unpaged server's cap from its answers instead of assuming Helsinki's 200", async () => {
    // No paging, a cap of 60 that nothing announces: the first poll would keep 60 of 150 if it trusted the answer.
    const server = await startHelsinkiSimulator({ seed: 12, listCap: 60 });
    closers.push(() => server.close());
    server.sim.generateCases(150, { from: NOW - 3_600_000, to: NOW - 1_000 });
    const learnt: number[] = [];
    const caseSystem = createOpen311CaseSystem({
      baseUrl: server.url,
      profile: { ...SOURCE_PROFILES.generic, listCap: null },
      onCapLearnt: (cap) => learnt.push(cap),
    });
    const records = await caseSystem.listChangedCases(new Date(NOW - 2 * 3_600_000), new Date(NOW));
    expect(new Set(records.map((r) => r.serviceRequestId)).size).toBe(150);
    expect(learnt).toEqual([60]);
  });

  it("refuses a next-page link to another host (S5)", async () => {
    const original = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const response = await original(input, init);
      const url = String(input instanceof Request ? input.url : input);
      if (!url.includes("/requests.json")) return response;
      const headers = new Headers(response.headers);
      headers.set("link", '<http://169.254.169.254/latest/meta-data>; rel="next"');
      return new Response(await response.text(), { status: response.status, headers });
    };
    try {
      const server = await startHelsinkiSimulator({ seed: 13 });
      closers.push(() => server.close());
      server.sim.generateCases(3, { from: NOW - 60_000, to: NOW - 1_000 });
      const caseSystem = createOpen311CaseSystem({ baseUrl: server.url });
      await expect(caseSystem.listChangedCases(new Date(NOW - 3_600_000), new Date(NOW))).rejects.toThrow(/another host/);
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe("one bad record", () => {
  it("is cleaned (NUL) or excluded with a reason (no service code) while the rest go in", async () => {
    const server = await startHelsinkiSimulator({ seed: 14 });
    closers.push(() => server.close());
    server.sim.generateCases(20, { from: NOW - 60_000, to: NOW - 2_000 });
    const base = { status: "open", requested_datetime: new Date(NOW - 1_500).toISOString(), lat: 60.17, long: 24.94 };
    server.sim.addRawCase({
      ...base,
      service_request_id: "nul-record",
      service_code: "171",
      description: "Kuoppa\u0000 tiellä",
      updated_datetime: new Date(NOW - 1_500).toISOString(),
    });
    server.sim.addRawCase({
      ...base,
      service_request_id: "no-code",
      service_code: "",
      description: "Jotain",
      updated_datetime: new Date(NOW - 1_400).toISOString(),
    });
    server.sim.addRawCase({
      service_request_id: "no-status",
      service_code: "171",
      updated_datetime: new Date(NOW - 1_300).toISOString(),
    });
    const deps = makeDeps(database, createOpen311CaseSystem({ baseUrl: server.url }), targets(), { pollLookbackMs: 3_600_000 });
    const summary = await pollCaseSystem(deps);
    expect(summary.new).toBe(22);
    expect(summary.quarantined).toBe(1);
    const [nul] = await database.rows<{ description: string }>(
      sql`select snapshot->>'description' as description from cases where id = 'nul-record'`,
    );
    expect(nul?.description).toBe("Kuoppa tiellä");
    const [noCode] = await database.rows<{ disposition: string; disposition_reason: string }>(
      sql`select disposition, disposition_reason from cases where id = 'no-code'`,
    );
    expect(noCode).toEqual({ disposition: "excluded", disposition_reason: "no_service_code" });
    const held = await listQuarantinedRecords(database);
    expect(held.map((r) => [r.serviceRequestId, r.reason])).toEqual([["no-status", expect.stringMatching(/status/)]]);
    const ledger = await database.rows<{ case_id: string; operation: string; detail: string }>(
      sql`select case_id, operation, detail from ledger_entries where case_id in ('nul-record', 'no-status') and operation in ('intake', 'quarantine') order by case_id`,
    );
    expect(ledger).toEqual([
      { case_id: "no-status", operation: "quarantine", detail: expect.stringMatching(/status/) },
      { case_id: "nul-record", operation: "intake", detail: "new; cleaned description" },
    ]);
    expect((await checkLedgerBalance(database)).balanced).toBe(true);
  });

  it("that the database refuses is quarantined alone, with the database's code, and the batch goes in", async () => {
    // A record that reached intake uncleaned: the failure that once blocked every later poll.
    const deps = makeDeps(database, createOpen311CaseSystem({ baseUrl: "http://127.0.0.1:9" }), targets());
    const good = [1, 2, 3].map((n) => makeCase({ ...PLACES.east, serviceRequestId: `good-${n}` }));
    const bad = makeCase({ ...PLACES.east, serviceRequestId: "refused", description: "a\u0000b reach me at canary@example.com" });
    const logged: string[] = [];
    deps.log = { ...deps.log, error: (fields, message) => logged.push(`${JSON.stringify(fields)} ${message}`) };
    const summary = await ingestCases(deps, [...good, bad]);
    expect(summary).toMatchObject({ new: 3, quarantined: 1 });
    const [held] = await listQuarantinedRecords(database);
    expect(held?.serviceRequestId).toBe("refused");
    expect(held?.reason).toMatch(/^database refused: 22/);
    expect(logged.join("\n")).not.toContain("canary@example.com");
    expect(logged.join("\n")).toMatch(/pgCode/);
    // Fixed at the source and read again: taken in, and the quarantine releases it.
    expect((await ingestCases(deps, [{ ...bad, description: "ab" }])).new).toBe(1);
    expect(await listQuarantinedRecords(database)).toEqual([]);
  });
});

describe("cases the polls cannot see", () => {
  it("a case published long after its last update is found by the anti-entropy re-read and taken in", async () => {
    const server = await startHelsinkiSimulator({ seed: 15, knobs: { publishKeepsUpdatedTime: true } });
    closers.push(() => server.close());
    const deps = makeDeps(database, createOpen311CaseSystem({ baseUrl: server.url }), targets(), { pollLookbackMs: 600_000 });
    server.sim.generateCases(5, { from: NOW - 60_000, to: NOW - 1_000 });
    // Stamped 20 minutes ago, held in moderation, published only now with that old time.
    const lateId = server.sim.addCase(
      {
        service_request_id: "late-published",
        service_code: "171",
        status: "open",
        updated_datetime: new Date(NOW - 20 * 60_000).toISOString(),
        lat: 60.17,
        long: 24.94,
      },
      { published: false },
    );
    await pollCaseSystem(deps);
    server.sim.addCase(server.sim.store.cases.get(lateId)?.record, { published: true });
    const after = await pollCaseSystem(deps);
    expect(after.new).toBe(0);
    const coverage = await reReadSource(deps, { days: 1, callGapMs: 0 });
    expect(coverage).toMatchObject({ sourceCases: 6, accountedFor: 6, missing: 1, repaired: 1 });
    const findings = await database.rows<{ kind: string; case_id: string; state: string }>(
      sql`select kind, case_id, state from reconciliation_findings`,
    );
    expect(findings).toEqual([{ kind: "missing_in_silta", case_id: "late-published", state: "resolved" }]);
  });

  it("the re-read also reaches cases still open that were last updated before its window", async () => {
    const server = await startHelsinkiSimulator({ seed: 18 });
    closers.push(() => server.close());
    const deps = makeDeps(database, createOpen311CaseSystem({ baseUrl: server.url }), targets(), { pollLookbackMs: 600_000 });
    const old = (id: string, status: "open" | "closed", daysAgo: number) =>
      server.sim.addCase({
        service_request_id: id,
        service_code: "171",
        status,
        requested_datetime: new Date(NOW - daysAgo * 86_400_000).toISOString(),
        updated_datetime: new Date(NOW - daysAgo * 86_400_000).toISOString(),
        lat: 60.17,
        long: 24.94,
      });
    old("open-400-days", "open", 400);
    old("closed-400-days", "closed", 400);
    old("open-900-days", "open", 900);
    const coverage = await reReadSource(deps, { days: 30, openDays: 730, callGapMs: 0 });
    expect(coverage).toMatchObject({ sourceCases: 1, accountedFor: 1, missing: 1, repaired: 1 });
    const taken = await database.rows<{ id: string }>(sql`select id from cases order by id`);
    expect(taken.map((row) => row.id)).toEqual(["open-400-days"]);
    // Without the open pass the same re-read sees nothing.
    await database.rows(sql`truncate reconciliation_findings, ledger_entries, links, cases restart identity cascade`);
    expect(await reReadSource(deps, { days: 30, callGapMs: 0 })).toMatchObject({ sourceCases: 0, missing: 0 });
  });

  it("an unpublished case reaches Silta through a list read with the key, not through the public list", async () => {
    const server = await startHelsinkiSimulator({ seed: 16, unpublishedShare: 0.8 });
    closers.push(() => server.close());
    server.sim.generateCases(20, { from: NOW - 60_000, to: NOW - 1_000 });
    const hidden = server.sim.state().neverPublished;
    expect(hidden).toBeGreaterThan(10);
    const publicOnly = createOpen311CaseSystem({ baseUrl: server.url });
    expect(await publicOnly.listChangedCases(new Date(NOW - 3_600_000), new Date(NOW))).toHaveLength(20 - hidden);
    const keyed = createOpen311CaseSystem({ baseUrl: server.url, apiKey: server.sim.apiKey, keyedLists: true });
    expect(await keyed.listChangedCases(new Date(NOW - 3_600_000), new Date(NOW))).toHaveLength(20);
  });
});

describe("write-back probe", () => {
  it("finds a server without servicerequestupdates, with a short reason instead of its HTML page", async () => {
    const server = await startHelsinkiSimulator({ seed: 17, profile: "generic" });
    closers.push(() => server.close());
    const probe = await createOpen311CaseSystem({ baseUrl: server.url, apiKey: "k" }).probeWriteBack?.();
    expect(probe?.state).toBe("unavailable");
    expect(probe?.reason).toMatch(/^HTTP 404 \(text\/html\)/);
    expect(probe?.reason.length).toBeLessThan(220);
    expect(probe?.reason).not.toContain("<");
    const helsinki = await startHelsinkiSimulator({ seed: 18 });
    closers.push(() => helsinki.close());
    expect((await createOpen311CaseSystem({ baseUrl: helsinki.url, apiKey: "k" }).probeWriteBack?.())?.state).toBe("available");
  });
});
