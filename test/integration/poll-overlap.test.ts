import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollCaseSystem } from "../../src/domain/intake/poll.ts";
import type { CaseRecord } from "../../src/ports/case-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

/** A case system that answers by `updatedAt` within the window and records the windows asked for. */
class WindowedCaseSystem extends FakeCaseSystem {
  readonly windows: { since: Date; until: Date }[] = [];
  override async listChangedCases(since: Date, until: Date): Promise<CaseRecord[]> {
    this.windows.push({ since, until });
    return [...this.cases.values()].filter((c) => {
      const at = Date.parse(c.updatedAt ?? "");
      return at >= since.getTime() && at <= until.getTime();
    });
  }
}

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());

describe("the intake poll's overlaps", () => {
  it("re-reads seconds on every poll and minutes once a minute, so a late commit is still taken in", async () => {
    const source = new WindowedCaseSystem();
    const deps = makeDeps(database, source, [new FakeWorkOrderSystem("contractor-east")], {
      pollOverlapMs: 10_000,
      pollDeepOverlapMs: 300_000,
      pollDeepEveryMs: 60_000,
    });
    let clock = Date.parse("2026-11-22T10:00:00Z");
    deps.now = () => new Date(clock);
    const poll = async (advanceMs: number) => {
      clock += advanceMs;
      return pollCaseSystem(deps);
    };

    // First poll of a fresh database: the look-back, and it counts as the deep read.
    expect((await poll(0)).deep).toBe(true);
    const second = await poll(1_000);
    expect(second.deep).toBe(false);
    expect(Date.parse(second.from)).toBe(clock - 1_000 - 10_000);

    // A case the source committed late: stamped two minutes ago, visible only now.
    const late = makeCase({ ...PLACES.east, updatedAt: new Date(clock - 120_000).toISOString() });
    source.cases.set(late.serviceRequestId, late);
    const shallow = await poll(1_000);
    expect(shallow).toMatchObject({ deep: false, new: 0 });

    // The next deep read, a minute after the last one, re-reads five minutes and finds it.
    const deep = await poll(58_000);
    expect(deep).toMatchObject({ deep: true, new: 1 });
    expect(Date.parse(deep.from)).toBe(clock - 58_000 - 300_000);
    expect((await poll(1_000)).deep).toBe(false);
    expect(source.windows).toHaveLength(5);
  });
});
