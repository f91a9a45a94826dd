import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDeliveryHistory } from "../../src/domain/admin/delivery-history.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

/**
 * The charts' figures: the backlog age at each bucket's end is derived from the jobs' creation
 * and finish times. Jobs are written directly with chosen times, so every expected age is known.
 */
let database: TestDatabase;
const NOW = new Date("2026-12-06T12:00:00Z");
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

async function job(id: number, target: string, createdMin: number, finishedMin: number | null, state = "done") {
  await database.db.execute(sql`insert into outbox_jobs (kind, dedupe_key, link_id, case_id, target, state, created_at, finished_at)
    values ('create_work_order', ${`k${id}`}, ${id}, ${`c${id}`}, ${target}, ${state}, ${minutesAgo(createdMin)}::timestamptz,
      ${finishedMin === null ? null : minutesAgo(finishedMin)}::timestamptz)`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  await job(1, "stara", 50, 20); // waited from 50 to 20 minutes ago
  await job(2, "stara", 30, null, "pending"); // still waiting
  await job(3, "stara", 40, 35, "skipped"); // an admin skipped it: never counted as waiting
  await job(4, "contractor-east", 200, 190); // finished before the hour began
});
afterAll(async () => database?.dispose());

describe("delivery history: backlog age", () => {
  it("is the age of the oldest job waiting at each minute's end, and 0 when none waited", async () => {
    const [stara, ...others] = await readDeliveryHistory(database, "hour", NOW);
    expect(others).toEqual([]);
    expect(stara?.target).toBe("stara");
    const age = (minutesBeforeNow: number) => stara?.buckets[59 - minutesBeforeNow]?.backlogAgeS;
    // The bucket that ends m minutes before now is index 59 - m (the last ends now).
    expect(age(55)).toBe(0);
    expect(age(45)).toBe(5 * 60); // job 1, created 50 minutes ago
    expect(age(25)).toBe(25 * 60); // job 1 still waiting 25 minutes ago
    expect(age(15)).toBe(15 * 60); // job 1 done; job 2 since 30 minutes ago
    expect(age(0)).toBe(30 * 60);
    expect(stara?.buckets.every((b) => b.delivered === 0 && b.failed === 0 && b.p95Ms === null)).toBe(true);
  });
});
