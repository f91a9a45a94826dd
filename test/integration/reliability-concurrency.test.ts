import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { links } from "../../src/db/schema/index.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runDueJobs, runJob } from "../../src/domain/jobs/lifecycle.ts";
import { claimDueJobs } from "../../src/domain/jobs/store.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import type { RemoteWorkOrder, WorkOrderPayload } from "../../src/ports/work-order-system.ts";
import type { TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";
import { createServerDatabase } from "./reliability-support.ts";

/** Records how many calls for one reference are on the wire at once. */
class WatchedWorkOrderSystem extends FakeWorkOrderSystem {
  inFlight = new Map<string, number>();
  maxInFlight = 0;
  override async createWorkOrder(payload: WorkOrderPayload, key: string): Promise<RemoteWorkOrder> {
    const now = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, now);
    this.maxInFlight = Math.max(this.maxInFlight, now);
    try {
      await new Promise((resolve) => setTimeout(resolve, 3));
      return await super.createWorkOrder(payload, key);
    } finally {
      this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    }
  }
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createServerDatabase();
});
afterAll(async () => database?.dispose());

describe("race: several workers on one PostgreSQL server", () => {
  it("4 workers claiming side by side never run one job twice, and every case is forwarded once", async () => {
    expect(database.kind).toBe("postgres");
    const caseSystem = new FakeCaseSystem();
    const targets = [
      new WatchedWorkOrderSystem("contractor-east"),
      new WatchedWorkOrderSystem("contractor-west"),
      new WatchedWorkOrderSystem("stara"),
    ];
    const workers = Array.from({ length: 4 }, () => makeDeps(database, caseSystem, targets, { batchSize: 7, concurrency: 3 }));
    const places = [PLACES.east, PLACES.west, PLACES.centre];
    const records = Array.from({ length: 90 }, (_, i) => makeCase({ ...places[i % 3] }));
    const [first] = workers;
    if (!first) throw new Error("unreachable");
    await ingestCases(first, records);

    let idleRounds = 0;
    await Promise.all(
      workers.map(async (worker) => {
        for (let round = 0; round < 200 && idleRounds < 8; round++) {
          const summary = await runDueJobs(worker);
          if (summary.claimed === 0) idleRounds++;
          else idleRounds = 0;
        }
      }),
    );
    for (const target of targets) {
      expect(target.maxInFlight).toBe(1);
      for (const order of target.orders.values()) expect(order.creates).toBe(1);
    }
    expect(targets.reduce((n, t) => n + t.calls.create, 0)).toBe(90);
    const all = await database.db.select({ state: links.state }).from(links);
    expect(all.every((l) => l.state === "forwarded")).toBe(true);
    const balance = await checkLedgerBalance(database);
    expect(balance).toMatchObject({ balanced: true, accounts: expect.objectContaining({ forwarded: 90 }) });
  });
});

describe("claims skip rows another worker holds", () => {
  it("a claim passes over a locked job instead of waiting for it (FOR UPDATE SKIP LOCKED)", async () => {
    const caseSystem = new FakeCaseSystem();
    const deps = makeDeps(database, caseSystem, [new FakeWorkOrderSystem("contractor-east")]);
    await ingestCases(deps, [makeCase(PLACES.east), makeCase(PLACES.east)]);
    const due = await database.rows<{ id: number }>(sql`select id from outbox_jobs where state = 'pending' order by id`);
    const [heldId, freeId] = due.map((r) => Number(r.id));
    let claimed: number[] = [];
    // Hold one job's row lock until the claim has answered. Without SKIP LOCKED the claim would
    // wait for this lock, the transaction would wait for the claim, and the test would time out.
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`select id from outbox_jobs where id = ${heldId} for update`);
      claimed = (await claimDueJobs(database, "other-worker", 10, 10_000)).map((j) => j.id);
    });
    expect(claimed).toEqual([freeId]);
  }, 20_000);
});

describe("lock order between the inbox and write-backs", () => {
  it("a write-back committing while a field event holds its link does not deadlock", async () => {
    // A database of its own: the jobs and links of the tests above must not be claimed here.
    const database = await createServerDatabase();
    onTestFinished(() => database.dispose());
    const caseSystem = new FakeCaseSystem();
    const deps = makeDeps(database, caseSystem, [new FakeWorkOrderSystem("contractor-east")]);
    await ingestCases(deps, [makeCase(PLACES.east)]);
    await runDueJobs(deps); // the create: forwarded, and the write-back job is queued
    const [link] = await database.db.select().from(links);
    if (!link) throw new Error("no link");
    await database.db.update(links).set({ fieldStatus: "in_progress" }).where(sql`id = ${link.id}`);
    const [writeBack] = await claimDueJobs(database, deps.settings.workerId, 10, deps.settings.leaseMs);
    expect(writeBack?.kind).toBe("write_back");
    if (!writeBack) throw new Error("no write-back job");

    // Like applying a field event: the link first, then the link's write-back job (re-arm).
    let outcome: Promise<string> | null = null;
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`select id from links where id = ${link.id} for update`);
      outcome = runJob(deps, writeBack);
      // Let the write-back reach its commit and wait there on the link.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await tx.execute(sql`
        update outbox_jobs set run_at = now() where id = ${writeBack.id}`);
    });
    // The opposite order (job, then link) makes PostgreSQL abort one side as a deadlock.
    expect(await outcome).toBe("done");
    const [after] = await database.db.select().from(links);
    expect(after?.writtenBackStatus).toBe("in_progress");
  });
});
