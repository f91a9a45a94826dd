import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CASE_RECORD_LIMITS, parseCaseList } from "../../adapters/open311/parse.ts";
import { cases, links } from "../../src/db/schema/index.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem } from "../support/fakes.ts";

/**
 * S4 for polled Open311 cases (not inbound HTTP, but just as untrusted): an overlong text is cut,
 * extra or overlong media URLs are dropped, an overlong id rejects the row with a reason; the
 * rest of the page is read and a capped case is ingested and routed like any other.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => database?.dispose());

const wire = (overrides: Record<string, unknown>) => ({
  service_request_id: "2026-limits-1",
  service_code: "171",
  status: "open",
  description: "Kuoppa",
  lat: "60.21",
  long: "25.08",
  requested_datetime: "2026-11-20T09:00:00+02:00",
  updated_datetime: "2026-11-20T09:00:00+02:00",
  extended_attributes: { detailed_status: "RECEIVED" },
  ...overrides,
});

describe("a polled page with oversized records", () => {
  const hugeText = "a".repeat(1_000_000);
  const manyMedia = Array.from({ length: 50 }, (_, i) => `https://kuvat.hel.fi/${i}.jpg`);
  const longUrl = `https://kuvat.hel.fi/${"x".repeat(10_000)}.jpg`;
  const list = parseCaseList([
    wire({ description: hugeText, media_url: longUrl, extended_attributes: { title: hugeText, media_urls: manyMedia } }),
    wire({ service_request_id: "i".repeat(1000) }),
    wire({ service_request_id: "2026-limits-2" }),
  ]);

  it("cuts text to 5,000 characters, keeps at most 10 media URLs and drops an overlong one", () => {
    if (!list.ok) throw new Error(list.reason);
    const [capped] = list.records;
    expect(capped?.description?.length).toBe(CASE_RECORD_LIMITS.textChars);
    expect(capped?.description?.endsWith("…")).toBe(true);
    expect(capped?.title?.length).toBe(CASE_RECORD_LIMITS.textChars);
    expect(capped?.mediaUrls).toHaveLength(CASE_RECORD_LIMITS.mediaUrls);
    expect(capped?.mediaUrls).not.toContain(longUrl);
  });

  it("rejects a row whose id is over 100 characters with a reason naming the field, and reads the rest", () => {
    if (!list.ok) throw new Error(list.reason);
    expect(list.records.map((r) => r.serviceRequestId)).toEqual(["2026-limits-1", "2026-limits-2"]);
    expect(list.rejects).toHaveLength(1);
    expect(list.rejects[0]?.index).toBe(1);
    expect(list.rejects[0]?.reason).toMatch(/service_request_id: .*longer than 100/);
    expect(list.rejects[0]?.reason).not.toContain("iiii");
  });

  it("ingests and routes the capped case like any other", async () => {
    if (!list.ok) throw new Error(list.reason);
    const deps = makeDeps(database, new FakeCaseSystem(), []);
    const summary = await ingestCases(deps, list.records);
    expect(summary.new).toBe(2);
    const [row] = await database.db.select().from(cases).where(eq(cases.id, "2026-limits-1"));
    expect(row?.snapshot.description?.length).toBe(CASE_RECORD_LIMITS.textChars);
    expect(row?.snapshot.mediaUrls).toHaveLength(CASE_RECORD_LIMITS.mediaUrls);
    expect((await database.db.select().from(links).where(eq(links.caseId, "2026-limits-1"))).length).toBeGreaterThan(0);
  });
});
