import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { links } from "../../src/db/schema/index.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { startJobPump } from "../../src/domain/jobs/job-pump.ts";
import { runJob } from "../../src/domain/jobs/lifecycle.ts";
import { claimDueJobs } from "../../src/domain/jobs/store.ts";
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

describe("committing a create after the lease was lost", () => {
  it("writes nothing: the job, the link, the ledger and the audit trail stay as the new owner will find them", async () => {
    const target = new FakeWorkOrderSystem("contractor-east");
    const deps = makeDeps(database, new FakeCaseSystem(), [target]);
    const record = makeCase(PLACES.east);
    await ingestCases(deps, [record]);
    const [job] = await claimDueJobs(database, deps.settings.workerId, 10, deps.settings.leaseMs);
    if (!job) throw new Error("no job");
    // Another worker took the job over (as after a stall past the lease).
    await database.db.execute(sql`update outbox_jobs set lease_owner = 'someone-else' where id = ${job.id}`);
    const audits = async () => (await database.rows<{ n: number }>(sql`select count(*)::int as n from audit_events`))[0]?.n;
    const before = await audits();

    expect(await runJob(deps, job)).toBe("lease_lost");
    const [link] = await database.db.select().from(links).where(sql`case_id = ${record.serviceRequestId}`);
    expect(link?.state).toBe("pending");
    const [owner] = await database.rows<{ lease_owner: string; state: string }>(
      sql`select lease_owner, state from outbox_jobs where id = ${job.id}`,
    );
    expect(owner).toEqual({ lease_owner: "someone-else", state: "running" });
    const ledger = await database.rows(
      sql`select 1 from ledger_entries where case_id = ${record.serviceRequestId} and operation = 'create_work_order'`,
    );
    expect(ledger).toHaveLength(0);
    expect(await audits()).toBe(before);
  });
});
