import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxJobs } from "../../src/db/schema/index.ts";
import { writeAudit } from "../../src/domain/admin/audit.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture } from "./http-admin-fixture.ts";

/**
 * The console's audit log (filters by actor, action prefix and subject; pages by row id) and the
 * failures page's section of work orders stopped without a dead letter.
 */
let f: HttpFixture;
let cookie = "";

beforeAll(async () => {
  f = await createHttpFixture();
  await f.database.db.transaction(async (tx) => {
    for (let i = 1; i <= 160; i++) {
      await writeAudit(tx, {
        actor: i % 2 === 0 ? "admin:alice" : "admin:bob",
        action: i % 3 === 0 ? "job.replay" : "key.issue",
        subject: `job:${i}`,
        detail: { n: i },
        result: "ok",
      });
    }
  });
  cookie = await f.consoleLogin();
});
afterAll(async () => f?.dispose());

const page = async (query: string) => {
  const response = await f.request(`/admin/audit${query}`, { headers: { cookie } });
  return { status: response.status, text: await response.text() };
};
const subjects = (text: string) => [...text.matchAll(/<td>(job:\d+)<\/td>/g)].map((m) => m[1]);

describe("the console's audit log", () => {
  it("shows the newest hundred, then the rest from the older link, with no row twice", async () => {
    const first = await page("");
    expect(first.status).toBe(200);
    const firstRows = subjects(first.text);
    expect(firstRows).toHaveLength(100);
    expect(firstRows[0]).toBe("job:160");
    const older = /id="older" href="([^"]+)"/.exec(first.text)?.[1]?.replaceAll("&amp;", "&") ?? "";
    expect(older).toMatch(/before=\d+/);
    const second = await page(older.replace("/admin/audit", ""));
    const secondRows = subjects(second.text);
    expect(secondRows).toHaveLength(60);
    expect(secondRows.at(-1)).toBe("job:1");
    expect(new Set([...firstRows, ...secondRows]).size).toBe(160);
    expect(second.text).not.toContain('id="older"');
  });

  it("filters by actor, action prefix and subject, and keeps the filter when paging", async () => {
    const alice = subjects((await page("?actor=admin:alice&action=job.")).text);
    // Even and divisible by three: 156, 150, …, 6.
    expect(alice).toEqual(Array.from({ length: 26 }, (_, i) => `job:${156 - i * 6}`));
    expect(subjects((await page("?subject=job:7")).text)).toEqual(["job:7"]);
    expect(subjects((await page("?action=job%25")).text)).toEqual([]);
    const bob = await page("?actor=admin:bob");
    expect(/id="older" href="([^"]+)"/.exec(bob.text)?.[1]).toBeUndefined();
    // 107 key.issue rows: the second page keeps the filter.
    const keys = await page("?action=key.");
    const older = /id="older" href="([^"]+)"/.exec(keys.text)?.[1]?.replaceAll("&amp;", "&") ?? "";
    expect(older).toContain("action=key.");
    expect(subjects((await page(older.replace("/admin/audit", ""))).text)).toHaveLength(7);
  });

  it("refuses a page position that is not a row id", async () => {
    expect((await page("?before=-3")).status).toBe(400);
    expect((await page("?before=99999999999999999999")).status).toBe(400);
  });
});

describe("the console's failures page", () => {
  it("lists a work order an admin skipped, and what waits in quarantine, beside the dead letters", async () => {
    // Stara is unreachable in this fixture: its delivery waits for a retry; an admin skips it.
    const parks = makeCase({ ...PLACES.centre, serviceCode: "174" });
    await f.deliver(parks);
    const [job] = await f.database.db
      .select()
      .from(outboxJobs)
      .where(and(eq(outboxJobs.caseId, parks.serviceRequestId), eq(outboxJobs.kind, "create_work_order")));
    expect(job?.state).toBe("pending");
    const skipped = await f.request(`/api/admin/v1/failures/${job?.id}/skip`, {
      method: "POST",
      token: ADMIN_TOKEN,
      body: JSON.stringify({ note: "not Stara's after all" }),
    });
    expect(skipped.status).toBe(200);
    const failures = await f.request("/admin/failures", { headers: { cookie } });
    const text = await failures.text();
    expect(text).toMatch(new RegExp(`<tr data-link="\\d+"><td><a href="/admin/cases/${parks.serviceRequestId}">`));
    expect(text).toContain("skipped_by_admin");
    expect(text).toMatch(/In quarantine: 0 field events with unknown status codes, 0 unreadable records/);
    // A filtered view narrows the jobs and leaves the section out.
    expect(await (await f.request("/admin/failures?state=dead", { headers: { cookie } })).text()).not.toContain('id="parked"');
  });
});
