import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { links } from "../../src/db/schema/index.ts";
import { ingestCases } from "../../src/domain/intake.ts";
import { startJobPump } from "../../src/domain/job-pump.ts";
import type { RemoteWorkOrder, WorkOrderPayload } from "../../src/ports/work-order-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

/** A target whose creates hang until `release()`; it records how many were out at once. */
class HangingTarget extends FakeWorkOrderSystem {
  out = 0;
  maxOut = 0;
  #waiting: (() => void)[] = [];
  override async createWorkOrder(payload: WorkOrderPayload, key: string): Promise<RemoteWorkOrder> {
    this.out++;
    this.maxOut = Math.max(this.maxOut, this.out);
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.out--;
    return super.createWorkOrder(payload, key);
  }
  release() {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

const until = async (check: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());

describe("the job pump", () => {
  it("keeps a hanging target to its lane cap while the other target's jobs all go through, and stops cleanly", async () => {
    const east = new HangingTarget("contractor-east");
    const west = new FakeWorkOrderSystem("contractor-west");
    const deps = makeDeps(database, new FakeCaseSystem(), [east, west], { concurrency: 6, perTargetBatchLimit: 2 });
    await ingestCases(deps, [
      ...Array.from({ length: 10 }, () => makeCase(PLACES.east)),
      ...Array.from({ length: 12 }, () => makeCase(PLACES.west)),
    ]);
    const pump = startJobPump(deps, 20);
    const forwardedWest = async () =>
      (
        await database.rows<{ n: number }>(
          sql`select count(*)::int as n from links where target = 'contractor-west' and state = 'forwarded'`,
        )
      )[0]?.n === 12;
    await until(forwardedWest);
    // East hangs: it holds at most its cap of lanes, never all six.
    expect(east.maxOut).toBe(2);
    expect(west.calls.create).toBe(12);

    east.release();
    const stopping = pump.stop();
    // The two calls on the wire finish; nothing new starts; nothing stays claimed.
    await stopping;
    const running = await database.rows<{ n: number }>(sql`select count(*)::int as n from outbox_jobs where state = 'running'`);
    expect(running[0]?.n).toBe(0);
    const eastForwarded = await database.db.select().from(links).where(sql`target = 'contractor-east' and state = 'forwarded'`);
    expect(eastForwarded.length).toBe(2);
  });
});
