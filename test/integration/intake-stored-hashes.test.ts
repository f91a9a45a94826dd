import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cases } from "../../src/db/schema/index.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, laterThan, makeCase, PLACES } from "../support/fakes.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());

const newDeps = () => makeDeps(database, new FakeCaseSystem(), [new FakeWorkOrderSystem("contractor-east")]);

describe("intake remembers what it stored", () => {
  it("counts a case it stored a moment ago as unchanged without the database; another instance asks the database", async () => {
    const deps = newDeps();
    const record = makeCase(PLACES.east);
    expect((await ingestCases(deps, [record])).new).toBe(1);

    // Behind this instance's back the stored hash changes: only an instance that asks the database sees it.
    await database.db.update(cases).set({ snapshotHash: "other" }).where(eq(cases.id, record.serviceRequestId));
    expect(await ingestCases(deps, [record])).toMatchObject({ unchanged: 1, updated: 0 });
    const other = newDeps();
    expect(await ingestCases(other, [record])).toMatchObject({ updated: 1, unchanged: 0 });
  });

  it("stores a changed copy, and then remembers the new content", async () => {
    const deps = newDeps();
    const record = makeCase(PLACES.east);
    await ingestCases(deps, [record]);
    const changed = { ...record, description: "Kuoppa on nyt isompi", updatedAt: laterThan(record.updatedAt, 1) };
    expect(await ingestCases(deps, [changed])).toMatchObject({ updated: 1 });
    expect(await ingestCases(deps, [changed])).toMatchObject({ unchanged: 1, updated: 0 });
    const [row] = await database.rows<{ description: string }>(
      sql`select snapshot->>'description' as description from cases where id = ${record.serviceRequestId}`,
    );
    expect(row?.description).toBe("Kuoppa on nyt isompi");
    // The old copy, listed late by a lagging server, is compared with the database (and differs).
    expect(await ingestCases(deps, [record])).toMatchObject({ updated: 1 });
  });
});
