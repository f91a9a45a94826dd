import { eq, sql } from "drizzle-orm";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { auditEvents, outboxJobs } from "../../src/db/schema/index.ts";
import { readTargetHealth } from "../../src/domain/admin/target-health.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runDueJobs } from "../../src/domain/jobs/lifecycle.ts";
import { endExpiredPauses, listActivePauses, pauseTarget, resumeTarget } from "../../src/domain/target-pauses.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

/** A target that records the order in which work orders reach it. */
class OrderedTarget extends FakeWorkOrderSystem {
  received: string[] = [];
  override async createWorkOrder(...args: Parameters<FakeWorkOrderSystem["createWorkOrder"]>) {
    this.received.push(args[0].externalRef);
    return super.createWorkOrder(...args);
  }
}

let database: TestDatabase;
let east: OrderedTarget;
let west: OrderedTarget;
let deps: SiltaDeps;

beforeEach(async () => {
  await database?.dispose();
  database = await createTestDatabase();
  east = new OrderedTarget("contractor-east");
  west = new OrderedTarget("contractor-west");
  deps = makeDeps(database, new FakeCaseSystem(), [east, west, new FakeWorkOrderSystem("stara")]);
});
afterAll(async () => database?.dispose());

const eastJobs = () =>
  database.db.select().from(outboxJobs).where(eq(outboxJobs.target, "contractor-east")).orderBy(outboxJobs.id);
const audit = (action: string) => database.db.select().from(auditEvents).where(eq(auditEvents.action, action));

describe("pause and resume per target", () => {
  it("a paused target's jobs wait without spending attempts while other targets go on; resuming sends them oldest first", async () => {
    const paused = await pauseTarget(deps, "admin:test", "contractor-east", { reason: "ERP maintenance", until: null });
    expect(paused).toMatchObject({ ok: true, result: "paused" });
    const eastCases = [1, 2, 3].map((n) => makeCase({ ...PLACES.east, serviceRequestId: `P-${n}` }));
    await ingestCases(deps, [...eastCases, makeCase({ ...PLACES.west, serviceRequestId: "W-1" })]);

    for (let round = 0; round < 3; round++) await runDueJobs(deps);
    expect(east.received).toEqual([]);
    expect(west.received).toHaveLength(1);
    const waiting = await eastJobs();
    expect(waiting.map((job) => [job.state, job.attempts])).toEqual([
      ["pending", 0],
      ["pending", 0],
      ["pending", 0],
    ]);
    const health = await readTargetHealth(database, deps.mappings);
    expect(health.find((t) => t.target === "contractor-east")).toMatchObject({
      state: "paused",
      waiting: 3,
      pause: { reason: "ERP maintenance", until: null, pausedBy: "admin:test" },
    });

    expect(await resumeTarget(deps, "admin:test", "contractor-east")).toMatchObject({ ok: true, result: "resumed" });
    // One lane, so that the order they reach the target is the order they were claimed in.
    await runDueJobs({ ...deps, settings: { ...deps.settings, concurrency: 1 } });
    expect(east.received).toEqual([
      "helsinki:P-1:contractor-east",
      "helsinki:P-2:contractor-east",
      "helsinki:P-3:contractor-east",
    ]);
    expect((await eastJobs()).every((job) => job.state === "done" && job.attempts === 1)).toBe(true);
    expect((await audit("target.pause")).map((row) => [row.subject, row.result, row.actor])).toEqual([
      ["target:contractor-east", "paused", "admin:test"],
    ]);
    expect((await audit("target.resume"))[0]).toMatchObject({ result: "resumed", detail: { jobsWoken: 3 } });
  });

  it("a job whose retry horizon ran out during the pause gets a fresh horizon on resume instead of dying", async () => {
    await ingestCases(deps, [makeCase({ ...PLACES.east, serviceRequestId: "H-1" })]);
    await pauseTarget(deps, "admin:test", "contractor-east", { reason: "contract change", until: null });
    // As if the job had first been tried long before the pause: beyond the 60 s test horizon.
    await database.db.execute(sql`update outbox_jobs set first_attempt_at = now() - interval '1 hour', attempts = 2`);
    await resumeTarget(deps, "admin:test", "contractor-east");
    east.failures.push({ error: new SiltaError("target_unavailable", "503") });
    await runDueJobs(deps);
    const [job] = await eastJobs();
    expect(job).toMatchObject({ state: "pending", lastErrorCode: "target_unavailable" });
  });

  it("a pause with an end time stops holding at that time; the sweep clears it and audits it as the system's", async () => {
    await pauseTarget(deps, "admin:test", "contractor-east", {
      reason: "night maintenance",
      until: new Date(Date.now() + 60_000),
    });
    await ingestCases(deps, [makeCase({ ...PLACES.east, serviceRequestId: "E-1" })]);
    await runDueJobs(deps);
    expect(east.received).toEqual([]);
    await database.db.execute(sql`update target_pauses set until = now() - interval '1 second'`);
    expect(await listActivePauses(database)).toEqual([]);
    expect(await endExpiredPauses(deps)).toEqual(["contractor-east"]);
    await runDueJobs(deps);
    expect(east.received).toEqual(["helsinki:E-1:contractor-east"]);
    expect((await audit("target.resume"))[0]).toMatchObject({ actor: "system", result: "expired" });
  });

  it("refuses an unknown target, a pause without a reason, an end in the past and resuming what is not paused, and audits each", async () => {
    expect(await pauseTarget(deps, "admin:test", "nobody", { reason: "x", until: null })).toMatchObject({
      ok: false,
      result: "not_found",
    });
    expect(await pauseTarget(deps, "admin:test", "stara", { reason: "  ", until: null })).toMatchObject({ ok: false });
    expect(await pauseTarget(deps, "admin:test", "stara", { reason: "late", until: new Date(Date.now() - 1_000) })).toMatchObject(
      { ok: false, result: "not_applicable" },
    );
    expect(await resumeTarget(deps, "admin:test", "stara")).toMatchObject({ ok: false, result: "not_applicable" });
    expect(await listActivePauses(database)).toEqual([]);
    expect((await audit("target.pause")).length + (await audit("target.resume")).length).toBe(4);
  });
});
