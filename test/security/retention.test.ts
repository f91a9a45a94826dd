import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, cases, inboxEvents, links, outboxJobs } from "../../src/db/schema/index.ts";
import { verifyAuditChain } from "../../src/domain/admin/audit-verify.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { recordFieldEvents } from "../../src/domain/field-status/apply-events.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { purgeExpiredPersonalData } from "../../src/domain/retention.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import type { CaseRecord } from "../../src/ports/case-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, laterThan, makeCase, PLACES } from "../support/fakes.ts";

let database: TestDatabase;
let deps: SiltaDeps;
let targets: Record<"stara" | "east" | "west", FakeWorkOrderSystem>;

/** Personal data planted in a case, each value unique to it, so a scan can find every copy. */
function citizenCase(tag: string, overrides: Partial<CaseRecord> = {}): CaseRecord {
  return makeCase({
    ...PLACES.east,
    title: `Kuoppa ${tag}`,
    description: `Ilmoittaja ${tag}-kanarialintu, soita 040 ${tag.length}12 3456`,
    address: `Kanariakatu ${tag.length} ${tag}`,
    mediaUrls: [`https://asiointi.hel.fi/media/${tag}.jpg`],
    statusNotes: `Kiitos ${tag}`,
    tasks: [{ createdAt: null, modifiedAt: null, ownerName: `Käsittelijä ${tag}`, type: "x", state: "y" }],
    reporter: { firstName: "Kaija", lastName: `${tag}-sukunimi`, email: `${tag}@example.org`, phone: "+358401234567" },
    ...overrides,
  });
}

const settle = () => drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
const record = {
  finished: citizenCase("valmis"),
  excluded: citizenCase("muualle", { serviceCode: "2806" }),
  open: citizenCase("auki"),
  recent: citizenCase("tuore"),
  parked: citizenCase("pysakoity", { ...PLACES.west }),
};
const ids = Object.values(record).map((r) => r.serviceRequestId);

async function refOf(caseId: string): Promise<string> {
  const [link] = await database.db.select({ ref: links.externalRef }).from(links).where(eq(links.caseId, caseId));
  return link?.ref ?? "";
}

/** Every row of every table as text: where a planted value could still rest. */
async function everything(): Promise<string> {
  const tables = await database.rows<{ name: string }>(
    sql`select table_name as name from information_schema.tables where table_schema = 'public'`,
  );
  const dumps = await Promise.all(
    tables.map(async ({ name }) => JSON.stringify(await database.rows(sql`select * from ${sql.identifier(name)}`))),
  );
  return dumps.join("\n");
}

beforeAll(async () => {
  database = await createTestDatabase();
  targets = {
    stara: new FakeWorkOrderSystem("stara"),
    east: new FakeWorkOrderSystem("contractor-east"),
    west: new FakeWorkOrderSystem("contractor-west"),
  };
  deps = makeDeps(database, new FakeCaseSystem(), Object.values(targets));
  targets.west.failures.push({ error: new SiltaError("target_rejected", "422: Kanariakatu 9 pysakoity", { httpStatus: 422 }) });
  await ingestCases(deps, Object.values(record));
  await settle();
  const event = (ref: string, code: string, note: string) => ({
    eventId: `${ref}:${code}`,
    externalRef: ref,
    workOrderId: null,
    statusCode: code,
    occurredAt: "2026-11-20T10:00:00+02:00",
    note,
  });
  await recordFieldEvents(
    database,
    "contractor-east",
    [event(await refOf(record.finished.serviceRequestId), "COMPLETED", "Korjattu valmis-kanarialintu")],
    "h1",
  );
  await recordFieldEvents(
    database,
    "contractor-east",
    [event(await refOf(record.recent.serviceRequestId), "COMPLETED", "Korjattu tuore")],
    "h2",
  );
  await recordFieldEvents(
    database,
    "contractor-east",
    [event(await refOf(record.open.serviceRequestId), "IN_PROGRESS", "Työn alla auki")],
    "h3",
  );
  await settle();
  // Age everything but the recent case past the retention period.
  const old = ids.filter((id) => id !== record.recent.serviceRequestId);
  await database.db.update(cases).set({ updatedAt: sql`now() - interval '200 days'` }).where(inArray(cases.id, old));
  await database.db.update(links).set({ updatedAt: sql`now() - interval '200 days'` }).where(inArray(links.caseId, old));
});
afterAll(async () => database?.dispose());

describe("retention purge", () => {
  it("the set-up holds what the test expects: one finished, one open, one parked", async () => {
    const rows = await database.db.select({ caseId: links.caseId, state: links.state, status: links.fieldStatus }).from(links);
    const byCase = Object.fromEntries(rows.map((r) => [r.caseId, `${r.state}/${r.status}`]));
    expect(byCase).toMatchObject({
      [record.finished.serviceRequestId]: "forwarded/completed",
      [record.open.serviceRequestId]: "forwarded/in_progress",
      [record.parked.serviceRequestId]: expect.stringMatching(/^parked/),
      [record.recent.serviceRequestId]: "forwarded/completed",
    });
  });

  it("a dry run counts the old finished and excluded cases and changes nothing", async () => {
    const before = await everything();
    const summary = await purgeExpiredPersonalData(deps, { days: 180, dryRun: true });
    expect(summary).toMatchObject({ dryRun: true, cases: 2 });
    expect(await everything()).toBe(before);
  });

  it("empties the personal data of old finished and excluded cases only; the ledger still balances", async () => {
    const snapshotsBefore = new Map(
      (await database.db.select().from(cases)).map((c) => [c.id, JSON.stringify(c.snapshot)] as const),
    );
    const summary = await purgeExpiredPersonalData(deps, { days: 180, batchSize: 1 });
    expect(summary).toMatchObject({ dryRun: false, cases: 2, inboxNotes: 1 });

    const rows = new Map((await database.db.select().from(cases)).map((c) => [c.id, c] as const));
    for (const purged of [record.finished, record.excluded]) {
      const row = rows.get(purged.serviceRequestId);
      expect(row?.purgedAt).toBeInstanceOf(Date);
      expect(row?.snapshot).toMatchObject({
        serviceRequestId: purged.serviceRequestId,
        serviceCode: purged.serviceCode,
        title: null,
        description: null,
        address: null,
        statusNotes: null,
        lat: null,
        long: null,
        mediaUrls: [],
        tasks: [],
        reporter: null,
      });
    }
    for (const kept of [record.open, record.recent, record.parked]) {
      expect(rows.get(kept.serviceRequestId)?.purgedAt).toBeNull();
      expect(JSON.stringify(rows.get(kept.serviceRequestId)?.snapshot)).toBe(snapshotsBefore.get(kept.serviceRequestId));
    }
    const [note] = await database.db
      .select({ note: inboxEvents.note })
      .from(inboxEvents)
      .where(eq(inboxEvents.externalRef, await refOf(record.finished.serviceRequestId)));
    expect(note?.note).toBeNull();
    const jobs = await database.db.select().from(outboxJobs).where(eq(outboxJobs.caseId, record.finished.serviceRequestId));
    expect(jobs.every((job) => JSON.stringify(job.payload) === "{}" && job.lastError === null)).toBe(true);

    // Nothing planted in the purged cases is left anywhere; the others' data is still there.
    const all = await everything();
    for (const tag of ["valmis", "muualle"]) expect(all).not.toContain(tag);
    for (const tag of ["auki", "tuore", "pysakoity"]) expect(all).toContain(`${tag}@example.org`);

    const balance = await checkLedgerBalance(database);
    expect(balance.violations).toEqual([]);
    expect(balance.balanced).toBe(true);
  });

  it("leaves an audit row with counts per batch, and one for a run that found nothing", async () => {
    const again = await purgeExpiredPersonalData(deps, { days: 180 });
    expect(again.cases).toBe(0);
    const rows = await database.db.select().from(auditEvents).where(eq(auditEvents.action, "retention.purge"));
    expect(rows.map((r) => r.detail.cases)).toEqual([1, 1, 0]);
    expect(rows[0]).toMatchObject({
      actor: "system",
      result: "purged",
      detail: expect.objectContaining({ cutoff: expect.any(String) }),
    });
    expect((await verifyAuditChain(database)).ok).toBe(true);
  });

  it("an unchanged re-poll of a purged case does not bring its data back", async () => {
    const summary = await ingestCases(deps, [record.finished]);
    expect(summary).toMatchObject({ unchanged: 1 });
    const [row] = await database.db.select().from(cases).where(eq(cases.id, record.finished.serviceRequestId));
    expect(row?.snapshot.reporter).toBeNull();
  });

  it("a purged case the city changes later holds data again, and is purged again once idle", async () => {
    const changed = { ...record.excluded, updatedAt: laterThan(record.excluded.updatedAt), description: "Uusi kuvaus muualle2" };
    expect(await ingestCases(deps, [changed])).toMatchObject({ updated: 1 });
    const read = async () => (await database.db.select().from(cases).where(eq(cases.id, changed.serviceRequestId)))[0];
    expect((await read())?.snapshot.description).toBe("Uusi kuvaus muualle2");
    expect((await purgeExpiredPersonalData(deps, { days: 180 })).cases).toBe(0);
    await database.db
      .update(cases)
      .set({ updatedAt: sql`now() - interval '200 days'`, purgedAt: sql`now() - interval '300 days'` })
      .where(eq(cases.id, changed.serviceRequestId));
    expect((await purgeExpiredPersonalData(deps, { days: 180 })).cases).toBe(1);
    expect((await read())?.snapshot.description).toBeNull();
  });
});
