import { eq, sql } from "drizzle-orm";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { links, outboxJobs } from "../../src/db/schema/index.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { recordFieldEvents } from "../../src/domain/field-status/apply-events.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runDueJobs, runJob } from "../../src/domain/jobs/lifecycle.ts";
import { redriveDeadJobs, redriveJob } from "../../src/domain/jobs/redrive.ts";
import { claimDueJobs } from "../../src/domain/jobs/store.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import type { RemoteWorkOrder, WorkOrderPayload } from "../../src/ports/work-order-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, laterThan, makeCase, PLACES } from "../support/fakes.ts";

/** A fake target whose creates can be held on the wire until the test lets them go. */
class HeldWorkOrderSystem extends FakeWorkOrderSystem {
  hold: Promise<void> | null = null;
  started = 0;
  override async createWorkOrder(payload: WorkOrderPayload, key: string): Promise<RemoteWorkOrder> {
    this.started++;
    if (this.hold) await this.hold;
    return super.createWorkOrder(payload, key);
  }
}

let database: TestDatabase;
let caseSystem: FakeCaseSystem;
let east: HeldWorkOrderSystem;
let west: HeldWorkOrderSystem;
let stara: HeldWorkOrderSystem;
let deps: SiltaDeps;

const settle = (d: SiltaDeps = deps) => drain(d, async (x) => ({ idle: wasIdle(await runWorkOnce(x)) }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const withDeps = (settings: Parameters<typeof makeDeps>[3] = {}) =>
  makeDeps(database, caseSystem, [east, west, stara], { ...settings });

beforeEach(async () => {
  await database?.dispose();
  database = await createTestDatabase();
  caseSystem = new FakeCaseSystem();
  east = new HeldWorkOrderSystem("contractor-east");
  west = new HeldWorkOrderSystem("contractor-west");
  stara = new HeldWorkOrderSystem("stara");
  deps = withDeps();
});
afterAll(async () => database?.dispose());

async function jobOf(caseId: string, kind = "create_work_order") {
  const rows = await database.db.select().from(outboxJobs).where(eq(outboxJobs.caseId, caseId));
  const job = rows.find((r) => r.kind === kind);
  if (!job) throw new Error(`no ${kind} job for ${caseId}`);
  return job;
}

describe("leases and heartbeats (R4)", () => {
  it("a job whose call runs longer than the lease keeps it: no second worker takes it over", async () => {
    const a = withDeps({ leaseMs: 1_000, heartbeatMs: 150, callBudgetMs: 100 });
    const b = withDeps({ leaseMs: 1_000 });
    const record = makeCase({ ...PLACES.east });
    await ingestCases(a, [record]);
    let release = () => {};
    east.hold = new Promise((resolve) => {
      release = resolve;
    });
    const running = runDueJobs(a);
    while (east.started === 0) await sleep(20);
    // Well past the lease: without heartbeats the job would be due again for worker b.
    await sleep(2_500);
    const stolen = await claimDueJobs(b.database, b.settings.workerId, 10, b.settings.leaseMs);
    expect(stolen).toEqual([]);
    release();
    expect(await running).toMatchObject({ claimed: 1, done: 1 });
    expect(east.started).toBe(1);
    expect(east.orders.get(`helsinki:${record.serviceRequestId}:contractor-east`)?.creates).toBe(1);
  });

  it("a dead worker's claim is taken over after its lease, and the new attempt looks the order up first", async () => {
    const dead = withDeps({ leaseMs: 300 });
    const record = makeCase({ ...PLACES.east });
    await ingestCases(deps, [record]);
    // The dead worker claimed and sent (the target stored the order), then died before committing.
    const [claimed] = await claimDueJobs(dead.database, dead.settings.workerId, 10, dead.settings.leaseMs);
    expect(claimed).toBeDefined();
    const ref = `helsinki:${record.serviceRequestId}:contractor-east`;
    const payload = { externalRef: ref, serviceRequestId: record.serviceRequestId, serviceCode: "171" };
    await east.createWorkOrder(payload, ref);
    expect(await runDueJobs(deps)).toMatchObject({ claimed: 0 });
    await sleep(600);
    expect(await runDueJobs(deps)).toMatchObject({ claimed: 1, done: 1 });
    expect(east.orders.get(ref)?.creates).toBe(1);
    expect(east.calls.find).toBe(1);
    const [link] = await database.db.select().from(links);
    expect(link).toMatchObject({ state: "forwarded", workOrderId: "WO-1" });
    // A stale worker cannot overwrite the new owner's outcome.
    if (!claimed) throw new Error("unreachable");
    expect(await runJob(dead, claimed)).toBe("lease_lost");
  });
});

describe("ambiguous creates (R2)", () => {
  it("a 5xx after the commit is not re-sent blindly to a target without key de-duplication", async () => {
    const record = makeCase({ ...PLACES.east });
    east.failures.push({ error: new SiltaError("target_server_error", "503", { httpStatus: 503 }), commitThenFail: true });
    await ingestCases(deps, [record]);
    await settle();
    const stored = east.orders.get(`helsinki:${record.serviceRequestId}:contractor-east`);
    expect(stored?.creates).toBe(1);
    expect(east.calls.find).toBe(1);
  });

  it("for a target that de-duplicates by key, a 5xx is retried at once without a lookup", async () => {
    deps = withDeps();
    // targets.yaml policy: contractor-east de-duplicates creates by Idempotency-Key.
    const mapping = deps.mappings.targets.get("contractor-east");
    if (!mapping) throw new Error("contractor-east missing from the mappings");
    const policy = { ...mapping.policy, honoursIdempotencyKey: true };
    const targets = new Map(deps.mappings.targets).set("contractor-east", { ...mapping, policy });
    deps = { ...deps, mappings: { ...deps.mappings, targets } };
    const record = makeCase({ ...PLACES.east });
    east.failures.push({ error: new SiltaError("target_server_error", "503", { httpStatus: 503 }), commitThenFail: true });
    await ingestCases(deps, [record]);
    await settle();
    expect(east.calls).toMatchObject({ create: 2, find: 0 });
    expect(east.orders.size).toBe(1);
  });
});

describe("dead letters and re-drive (R6)", () => {
  it("a re-driven create looks up first, so an order stored by an earlier attempt is not created again", async () => {
    deps = withDeps({ retry: { baseMs: 1, capMs: 2, horizonMs: 0 } });
    const record = makeCase({ ...PLACES.east });
    east.failures.push({ error: new SiltaError("target_timeout", "timed out"), commitThenFail: true });
    await ingestCases(deps, [record]);
    await settle();
    const job = await jobOf(record.serviceRequestId);
    expect(job.state).toBe("dead");
    expect((await database.db.select().from(links))[0]).toMatchObject({ state: "parked", parkedCode: "target_timeout" });

    deps = withDeps();
    expect(await redriveJob(database, job.id)).toBe(true);
    expect(await redriveJob(database, job.id)).toBe(false);
    const redriven = await jobOf(record.serviceRequestId);
    expect(redriven).toMatchObject({ state: "pending", attempts: 0, firstAttemptAt: null });
    await settle();
    const ref = `helsinki:${record.serviceRequestId}:contractor-east`;
    expect(east.orders.get(ref)?.creates).toBe(1);
    expect((await database.db.select().from(links))[0]).toMatchObject({ state: "forwarded" });
    expect((await checkLedgerBalance(database)).balanced).toBe(true);
  });

  it("horizon: parked while the target is down past the horizon, then re-driven and forwarded exactly once", async () => {
    deps = withDeps({ retry: { baseMs: 1, capMs: 2, horizonMs: 0 } });
    const records = [makeCase({ ...PLACES.east }), makeCase({ ...PLACES.east }), makeCase({ ...PLACES.west })];
    for (let i = 0; i < 4; i++) east.failures.push({ error: new SiltaError("target_unavailable", "refused") });
    await ingestCases(deps, records);
    await settle();
    const parked = await database.db.select().from(links).where(eq(links.state, "parked"));
    expect(parked).toHaveLength(2);
    expect((await checkLedgerBalance(database)).accounts).toMatchObject({ parked: 2, forwarded: 1 });
    deps = withDeps();
    expect(await redriveDeadJobs(database, { target: "contractor-east" })).toBe(2);
    await settle();
    expect((await database.db.select().from(links).where(eq(links.state, "forwarded"))).length).toBe(3);
    for (const order of east.orders.values()) expect(order.creates).toBe(1);
    expect((await checkLedgerBalance(database)).accounts).toMatchObject({ forwarded: 3 });
  });
});

describe("Retry-After (R6)", () => {
  it("no call to the target before Retry-After has elapsed, for the failed job or any other", async () => {
    deps = withDeps({ concurrency: 1 });
    east.failures.push({ error: new SiltaError("target_rate_limited", "429", { httpStatus: 429, retryAfterMs: 5_000 }) });
    await ingestCases(deps, [makeCase({ ...PLACES.east }), makeCase({ ...PLACES.east }), makeCase({ ...PLACES.west })]);
    const before = Date.now();
    await settle();
    expect(east.calls.create).toBe(1);
    expect(west.orders.size).toBe(1);
    const pending = await database.db.select().from(outboxJobs).where(eq(outboxJobs.state, "pending"));
    expect(pending.filter((j) => j.target === "contractor-east")).toHaveLength(2);
    for (const job of pending) expect(job.runAt.getTime()).toBeGreaterThanOrEqual(before + 4_900);
    // Deferred jobs did not count as attempts.
    expect(pending.map((j) => j.attempts).sort()).toEqual([0, 1]);
  });
});

describe("circuit breaker and isolation (R7)", () => {
  it("one dead contractor: its breaker opens after N failures, the others are delivered in the same rounds", async () => {
    deps = withDeps({ breaker: { failureThreshold: 3, openMs: 60_000 }, concurrency: 1, perTargetBatchLimit: 50 });
    for (let i = 0; i < 200; i++)
      east.failures.push({ error: new SiltaError("target_server_error", "503", { httpStatus: 503 }) });
    const eastCases = Array.from({ length: 12 }, () => makeCase({ ...PLACES.east }));
    const westCases = Array.from({ length: 6 }, () => makeCase({ ...PLACES.west }));
    await ingestCases(deps, [...eastCases, ...westCases]);
    const rounds = await settle();
    expect(west.orders.size).toBe(6);
    // Three failures (one of them with its quick retry not allowed for creates) open the breaker.
    expect(east.calls.create).toBe(3);
    expect(rounds).toBeLessThanOrEqual(3);
    // While open, the dead target's jobs are not even claimed.
    const claimed = await runDueJobs(deps);
    expect(claimed.claimed).toBe(0);
  });

  it("a slow target cannot take every lane: at most perTargetBatchLimit of its jobs per batch", async () => {
    deps = withDeps({ perTargetBatchLimit: 2 });
    await ingestCases(deps, [...Array.from({ length: 6 }, () => makeCase({ ...PLACES.east })), makeCase({ ...PLACES.west })]);
    const claimed = await claimDueJobs(database, deps.settings.workerId, 50, 10_000, { perTargetLimit: 2 });
    const byTarget = Object.groupBy(claimed, (j) => j.target);
    expect(byTarget["contractor-east"]).toHaveLength(2);
    expect(byTarget["contractor-west"]).toHaveLength(1);
  });

  it("claims each target's oldest due jobs: later retries do not hide them, and an expired lease comes back", async () => {
    const eastCases = Array.from({ length: 5 }, () => makeCase({ ...PLACES.east }));
    const westCases = Array.from({ length: 3 }, () => makeCase({ ...PLACES.west }));
    await ingestCases(deps, [...eastCases, ...westCases]);
    const eastJobs = await Promise.all(eastCases.map((c) => jobOf(c.serviceRequestId)));
    const westJobs = await Promise.all(westCases.map((c) => jobOf(c.serviceRequestId)));
    // East's three oldest jobs back off until later; the rest are due in a known order.
    for (const [i, job] of eastJobs.entries()) {
      const runAt = i < 3 ? sql`now() + interval '1 hour'` : sql`now() - (${10 - i} * interval '1 second')`;
      await database.db.update(outboxJobs).set({ runAt }).where(eq(outboxJobs.id, job.id));
    }
    for (const [i, job] of westJobs.entries()) {
      await database.db
        .update(outboxJobs)
        .set({ runAt: sql`now() - (${20 - i} * interval '1 second')` })
        .where(eq(outboxJobs.id, job.id));
    }
    // A job whose worker died: running, its lease over.
    await database.db
      .update(outboxJobs)
      .set({ state: "running", leaseOwner: "dead-worker", leaseUntil: sql`now() - interval '1 second'` })
      .where(eq(outboxJobs.id, eastJobs[4]?.id ?? 0));

    const claimed = await claimDueJobs(database, deps.settings.workerId, 50, 10_000, { perTargetLimit: 2 });
    expect(new Set(claimed.map((j) => j.id))).toEqual(
      new Set([eastJobs[3]?.id, eastJobs[4]?.id, westJobs[0]?.id, westJobs[1]?.id]),
    );
    const again = await claimDueJobs(database, deps.settings.workerId, 50, 10_000, { perTargetLimit: 2 });
    expect(again.map((j) => j.id)).toEqual([westJobs[2]?.id]);
    const blocked = await claimDueJobs(database, "other", 50, 10_000, { excludeTargets: ["contractor-west"] });
    expect(blocked).toEqual([]);
  });
});

describe("per-link ordering", () => {
  it("write-back waits for the create: a status event that overtakes the create is written back only after it", async () => {
    const record = makeCase({ ...PLACES.east });
    await ingestCases(deps, [record]);
    const ref = `helsinki:${record.serviceRequestId}:contractor-east`;
    await recordFieldEvents(
      database,
      "contractor-east",
      [
        {
          eventId: "e1",
          externalRef: ref,
          workOrderId: null,
          statusCode: "RECEIVED",
          occurredAt: new Date().toISOString(),
          note: null,
        },
      ],
      "h",
    );
    // The create fails for a while; the event is applied and its write-back job runs meanwhile.
    east.failures.push({ error: new SiltaError("target_rejected", "422", { httpStatus: 422 }) });
    await runWorkOnce(deps);
    await runWorkOnce(deps);
    expect(caseSystem.updates).toEqual([]);
    const [parked] = await database.db.select().from(links);
    expect(parked?.state).toBe("parked");
    await redriveDeadJobs(database, { target: "contractor-east" });
    await settle();
    expect(caseSystem.updates.map((u) => u.updateId)).toEqual([`silta-${parked?.id}-received`]);
  });

  it("a cancel while an earlier create attempt may have stored the order finds and withdraws it", async () => {
    const record = makeCase({ ...PLACES.east });
    east.failures.push({ error: new SiltaError("target_server_error", "503", { httpStatus: 503 }), commitThenFail: true });
    await ingestCases(deps, [record]);
    await runWorkOnce(deps);
    expect(east.orders.size).toBe(1);
    await ingestCases(deps, [{ ...record, deskStatus: "REJECTED", updatedAt: laterThan(record.updatedAt) }]);
    await database.rows(sql`update outbox_jobs set run_at = now()`);
    await settle();
    // A cancel that met its create on the wire waits a second for it, without a call.
    await sleep(1_300);
    await settle();
    const [stored] = [...east.orders.values()];
    expect(stored).toMatchObject({ creates: 1, cancelled: true });
    expect((await database.db.select().from(links))[0]?.state).toBe("cancelled");
  });
});

describe("graceful shutdown", () => {
  it("a stopping worker finishes the job on the wire and hands back claims it has not started", async () => {
    deps = withDeps({ concurrency: 1 });
    await ingestCases(deps, [makeCase({ ...PLACES.west }), makeCase({ ...PLACES.west }), makeCase({ ...PLACES.west })]);
    let stop = false;
    west.hold = new Promise((resolve) => setTimeout(resolve, 50)).then(() => {
      stop = true;
    });
    const summary = await runDueJobs(deps, 10, { shouldStop: () => stop });
    expect(summary).toMatchObject({ claimed: 3, done: 1, released: 2 });
    const jobs = await database.db.select().from(outboxJobs);
    expect(
      jobs.filter((j) => j.state === "pending" && j.kind === "create_work_order").map((j) => [j.attempts, j.leaseOwner]),
    ).toEqual([
      [0, null],
      [0, null],
    ]);
    // Handed back at once: another worker takes them without waiting for the lease.
    west.hold = null;
    expect(await runDueJobs(withDeps())).toMatchObject({ claimed: 3, done: 3 });
  });
});
