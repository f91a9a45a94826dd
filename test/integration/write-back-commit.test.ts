import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runJob } from "../../src/domain/jobs/lifecycle.ts";
import { claimDueJobs } from "../../src/domain/jobs/store.ts";
import { runWorkOnce } from "../../src/domain/jobs/work-loop.ts";
import type { CaseStatusUpdate } from "../../src/ports/case-system.ts";
import { SOURCE_PROFILES } from "../../src/ports/source-profile.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

/** A case system that runs `during` while the first status update is "on the wire". */
class CaseSystemWithHook extends FakeCaseSystem {
  during: (() => Promise<void>) | null = null;
  override async postStatusUpdate(update: CaseStatusUpdate): Promise<{ updateId: string }> {
    const hook = this.during;
    this.during = null;
    await hook?.();
    return super.postStatusUpdate(update);
  }
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());

/** A forwarded case whose write-back of `sent` is due, claimed by this worker. */
async function claimedWriteBack(caseSystem: FakeCaseSystem) {
  const deps = makeDeps(database, caseSystem, [new FakeWorkOrderSystem("contractor-east")]);
  const record = makeCase(PLACES.east);
  await ingestCases(deps, [record]);
  // Runs the create only: the write-back job it queues is claimed below.
  await runWorkOnce(deps, { shouldStop: () => false });
  await database.db.execute(
    sql`update outbox_jobs set state = 'pending', run_at = now() where case_id = ${record.serviceRequestId} and kind = 'write_back'`,
  );
  const jobs = await claimDueJobs(database, deps.settings.workerId, 10, deps.settings.leaseMs);
  const job = jobs.find((j) => j.kind === "write_back" && j.caseId === record.serviceRequestId);
  if (!job) throw new Error("no write-back job claimed");
  const row = async () =>
    (
      await database.rows<{ state: string; attempts: number; lease_owner: string | null; written: string | null }>(sql`
        select j.state, j.attempts, j.lease_owner, l.written_back_status as written
        from outbox_jobs j join links l on l.id = j.link_id where j.id = ${job.id}`)
    )[0];
  const ledger = async () =>
    (
      await database.rows<{ n: number }>(
        sql`select count(*)::int as n from ledger_entries where link_id = ${job.linkId} and operation = 'write_back'`,
      )
    )[0]?.n;
  return { deps, job, row, ledger };
}

describe("committing a write-back", () => {
  it("re-arms the job when the field status moved while the update was on the wire, and then sends the newer one", async () => {
    const caseSystem = new CaseSystemWithHook();
    const { deps, job, row, ledger } = await claimedWriteBack(caseSystem);
    const ledgerBefore = await ledger();
    // An earlier attempt failed: the re-armed job starts clean, as a freshly queued one would.
    await database.db.execute(
      sql`update outbox_jobs set last_error = 'earlier 503', last_error_code = 'target_unavailable', last_http_status = 503 where id = ${job.id}`,
    );
    caseSystem.during = async () => {
      // A field event applied meanwhile (flow 3) moves the link on.
      await database.db.execute(sql`update links set field_status = 'in_progress' where id = ${job.linkId}`);
    };
    expect(await runJob(deps, job)).toBe("done");
    expect(caseSystem.updates.map((u) => u.externalStatusCode)).toHaveLength(1);
    // What was sent is recorded; the job waits to send the newer status, as a fresh job would.
    expect(await row()).toEqual({ state: "pending", attempts: 0, lease_owner: null, written: "sent" });
    const [error] = await database.rows(
      sql`select last_error, last_error_code, last_http_status from outbox_jobs where id = ${job.id}`,
    );
    expect(error).toEqual({ last_error: null, last_error_code: null, last_http_status: null });
    expect(await ledger()).toBe((ledgerBefore ?? 0) + 1);

    const [again] = await claimDueJobs(database, deps.settings.workerId, 10, deps.settings.leaseMs);
    expect(again?.id).toBe(job.id);
    if (!again) return;
    expect(await runJob(deps, again)).toBe("done");
    expect(caseSystem.updates).toHaveLength(2);
    expect(await row()).toMatchObject({ state: "done", lease_owner: null, written: "in_progress" });
  });

  it("writes nothing once the lease was lost: the new owner finds the link and the ledger as they were", async () => {
    const caseSystem = new FakeCaseSystem();
    const { deps, job, row, ledger } = await claimedWriteBack(caseSystem);
    const ledgerBefore = await ledger();
    await database.db.execute(sql`update outbox_jobs set lease_owner = 'someone-else' where id = ${job.id}`);
    expect(await runJob(deps, job)).toBe("lease_lost");
    expect(await row()).toEqual({ state: "running", attempts: job.attempts, lease_owner: "someone-else", written: null });
    expect(await ledger()).toBe(ledgerBefore);
  });

  it("finishes the job without calling the case system when write-back is off, and says so in the ledger (no dead letters)", async () => {
    const caseSystem = new CaseSystemWithHook();
    let calls = 0;
    caseSystem.during = async () => {
      calls++;
    };
    const { deps, job, row } = await claimedWriteBack(caseSystem);
    deps.source = {
      profile: SOURCE_PROFILES.generic,
      intake: "public_list",
      writeBack: { enabled: false, reason: "servicerequestupdates not found (HTTP 404 (text/html): Not Found)" },
    };
    expect(await runJob(deps, job)).toBe("done");
    expect(calls).toBe(0);
    expect(await row()).toMatchObject({ state: "done", written: null });
    const [entry] = await database.rows<{ outcome: string; detail: string }>(
      sql`select outcome, detail from ledger_entries where link_id = ${job.linkId} and operation = 'write_back'`,
    );
    expect(entry).toEqual({
      outcome: "skipped",
      detail: expect.stringMatching(/^write-back off: servicerequestupdates not found/),
    });
  });
});
