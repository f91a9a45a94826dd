import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitPoint, type WindowPage, walkUpdateWindows } from "../../adapters/open311/poll-windows.ts";

interface Row {
  serviceRequestId: string;
  updatedAt: string | null;
}

const DAY_MS = 86_400_000;
const T0 = Date.parse("2026-01-01T00:00:00Z");

function row(id: string, ms: number): Row {
  return { serviceRequestId: id, updatedAt: new Date(ms).toISOString() };
}

/**
 * A capped, unpaged list endpoint like Helsinki's: rows with `after <= updated < before`, oldest
 * first, cut at `cap`. `edgeMs` > 0 also returns rows that far outside the window (duplicates
 * across adjacent windows). Records every window asked.
 */
function fakeServer(rows: readonly Row[], cap: number, edgeMs = 0) {
  const calls: Array<{ after: number; before: number }> = [];
  const fetchWindow = async (after: Date, before: Date): Promise<WindowPage<Row>> => {
    calls.push({ after: after.getTime(), before: before.getTime() });
    const matching = rows
      .filter((r) => {
        const at = Date.parse(r.updatedAt ?? "");
        return at >= after.getTime() - edgeMs && at < before.getTime() + edgeMs;
      })
      .sort((a, b) => Date.parse(a.updatedAt ?? "") - Date.parse(b.updatedAt ?? ""));
    return { records: matching.slice(0, cap) };
  };
  return { calls, fetchWindow };
}

describe("walkUpdateWindows", () => {
  it("with onWindow hands each accepted window over, oldest first, keeps nothing, and reads the same rows", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => row(`r${i}`, T0 + i * 60_000));
    const options = { from: new Date(T0), to: new Date(T0 + DAY_MS), maxWindowMs: DAY_MS, minWindowMs: 1000, cap: 8 };
    const whole = await walkUpdateWindows({ ...options, fetchWindow: fakeServer(rows, 8).fetchWindow });
    const pages: Row[][] = [];
    const streamed = await walkUpdateWindows({
      ...options,
      fetchWindow: fakeServer(rows, 8).fetchWindow,
      onWindow: async (records) => {
        pages.push(records);
      },
    });
    expect(streamed.records).toEqual([]);
    // No page is a capped answer (those are split, not handed over), and pages come oldest first.
    expect(pages.every((p) => p.length < 8)).toBe(true);
    const order = pages.flat().map((r) => Date.parse(r.updatedAt ?? ""));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(pages.flat().map((r) => r.serviceRequestId)).toEqual(whole.records.map((r) => r.serviceRequestId));
  });

  it("asks one window when the answer is under the cap", async () => {
    const server = fakeServer([row("a", T0 + 1000), row("b", T0 + 2000)], 200);
    const result = await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0 + DAY_MS),
      maxWindowMs: 90 * DAY_MS,
      minWindowMs: 1000,
      cap: 200,
      fetchWindow: server.fetchWindow,
    });
    expect(server.calls).toEqual([{ after: T0, before: T0 + DAY_MS }]);
    expect(result.records.map((r) => r.serviceRequestId)).toEqual(["a", "b"]);
    expect(result.truncatedWindows).toEqual([]);
    expect(result.calls).toBe(1);
  });

  it("halves a window that returns the cap until every half is under it", async () => {
    const rows = Array.from({ length: 25 }, (_, i) => row(`case-${i}`, T0 + i * 3_600_000));
    const server = fakeServer(rows, 10);
    const result = await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0 + 25 * 3_600_000),
      maxWindowMs: 90 * DAY_MS,
      minWindowMs: 1000,
      cap: 10,
      fetchWindow: server.fetchWindow,
    });
    expect(result.records.map((r) => r.serviceRequestId).sort()).toEqual(rows.map((r) => r.serviceRequestId).sort());
    expect(server.calls.length).toBeGreaterThan(3);
    expect(server.calls[0]).toEqual({ after: T0, before: T0 + 25 * 3_600_000 });
    // Halves are asked oldest first and never overlap: each starts where an earlier one ended or at the start.
    const completed = server.calls.filter((call) => {
      const count = rows.filter((r) => {
        const at = Date.parse(r.updatedAt ?? "");
        return at >= call.after && at < call.before;
      }).length;
      return count < 10;
    });
    for (let i = 1; i < completed.length; i += 1) expect(completed[i]?.after).toBe(completed[i - 1]?.before);
  });

  it("treats exactly `cap` rows as possibly incomplete", async () => {
    const rows = Array.from({ length: 4 }, (_, i) => row(`c${i}`, T0 + i * 60_000));
    const server = fakeServer(rows, 4);
    const result = await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0 + 4 * 60_000),
      maxWindowMs: DAY_MS,
      minWindowMs: 1000,
      cap: 4,
      fetchWindow: server.fetchWindow,
    });
    expect(server.calls.length).toBeGreaterThan(1);
    expect(result.records).toHaveLength(4);
  });

  it("never asks more than maxWindowMs in one call and covers the period without gaps", async () => {
    const server = fakeServer([row("old", T0 + 5 * DAY_MS), row("new", T0 + 200 * DAY_MS)], 200);
    const maxWindowMs = 90 * DAY_MS;
    const result = await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0 + 250 * DAY_MS),
      maxWindowMs,
      minWindowMs: 1000,
      cap: 200,
      fetchWindow: server.fetchWindow,
    });
    expect(server.calls).toEqual([
      { after: T0, before: T0 + 90 * DAY_MS },
      { after: T0 + 90 * DAY_MS, before: T0 + 180 * DAY_MS },
      { after: T0 + 180 * DAY_MS, before: T0 + 250 * DAY_MS },
    ]);
    for (const call of server.calls) expect(call.before - call.after).toBeLessThanOrEqual(maxWindowMs);
    expect(result.records.map((r) => r.serviceRequestId)).toEqual(["old", "new"]);
  });

  it("de-duplicates rows repeated across adjacent windows", async () => {
    const rows = Array.from({ length: 30 }, (_, i) => row(`c${i}`, T0 + i * 60_000));
    const server = fakeServer(rows, 8, 90_000);
    const result = await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0 + 30 * 60_000),
      maxWindowMs: DAY_MS,
      minWindowMs: 1000,
      cap: 8,
      fetchWindow: server.fetchWindow,
    });
    const ids = result.records.map((r) => r.serviceRequestId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(rows.map((r) => r.serviceRequestId).sort());
  });

  it("keeps the version with the latest updated_datetime when a case appears twice", async () => {
    const answers: Row[][] = [[row("same", T0 + 10_000), row("other", T0 + 20_000)], [row("same", T0 + 70_000)]];
    let call = 0;
    const result = await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0 + 2 * DAY_MS),
      maxWindowMs: DAY_MS,
      minWindowMs: 1000,
      cap: 200,
      fetchWindow: async () => ({ records: answers[call++] ?? [] }),
    });
    expect(result.records).toEqual([row("other", T0 + 20_000), row("same", T0 + 70_000)]);

    // An older version read later does not replace a newer one.
    const reversed = [answers[1] ?? [], answers[0] ?? []];
    call = 0;
    const again = await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0 + 2 * DAY_MS),
      maxWindowMs: DAY_MS,
      minWindowMs: 1000,
      cap: 200,
      fetchWindow: async () => ({ records: reversed[call++] ?? [] }),
    });
    expect(again.records.find((r) => r.serviceRequestId === "same")?.updatedAt).toBe(new Date(T0 + 70_000).toISOString());
  });

  it("keeps a window still capped at minWindowMs, reports it, and moves on", async () => {
    // 12 cases updated in the same second (a bulk change), cap 5: no split can separate them.
    const burst = Array.from({ length: 12 }, (_, i) => row(`bulk${i}`, T0 + 30_000));
    const later = row("later", T0 + 50_000);
    const server = fakeServer([...burst, later], 5);
    const result = await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0 + 60_000),
      maxWindowMs: DAY_MS,
      minWindowMs: 1000,
      cap: 5,
      fetchWindow: server.fetchWindow,
    });
    expect(result.truncatedWindows).toHaveLength(1);
    const [truncated] = result.truncatedWindows;
    expect(truncated?.rowCount).toBe(5);
    expect((truncated?.before.getTime() ?? 0) - (truncated?.after.getTime() ?? 0)).toBeLessThanOrEqual(1000);
    expect(result.records.filter((r) => r.serviceRequestId.startsWith("bulk"))).toHaveLength(5);
    expect(result.records.map((r) => r.serviceRequestId)).toContain("later");
  });

  it("counts unparseable rows towards the cap through rowCount", async () => {
    let calls = 0;
    await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0 + 10_000),
      maxWindowMs: DAY_MS,
      minWindowMs: 5000,
      cap: 3,
      fetchWindow: async () => {
        calls += 1;
        return { records: [row("a", T0)], rowCount: 3 };
      },
    });
    expect(calls).toBe(3);
  });

  it("returns nothing for an empty period", async () => {
    const result = await walkUpdateWindows({
      from: new Date(T0),
      to: new Date(T0),
      maxWindowMs: DAY_MS,
      minWindowMs: 1000,
      cap: 200,
      fetchWindow: async () => {
        throw new Error("must not be called");
      },
    });
    expect(result).toEqual({ records: [], truncatedWindows: [], calls: 0 });
  });

  it("splits on whole seconds when the window allows it", () => {
    expect(splitPoint(T0, T0 + 10_000)).toBe(T0 + 5000);
    expect(splitPoint(T0, T0 + 3001) % 1000).toBe(0);
    expect(splitPoint(T0 + 1, T0 + 3)).toBe(T0 + 2);
  });

  it("returns every case exactly once for any cases, cap and edge duplication (property)", async () => {
    const span = 30 * DAY_MS;
    // Edge duplication of 1 ms models a server whose bounds are both inclusive. A 1 ms window then
    // sees at most 3 distinct timestamps, so with a cap of at least 3 nothing can be held back.
    const edgeAndCap = fc
      .constantFrom(0, 1)
      .chain((edgeMs) => fc.tuple(fc.constant(edgeMs), fc.integer({ min: edgeMs === 0 ? 1 : 3, max: 25 })));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: span - 1 }), { maxLength: 120 }),
        edgeAndCap,
        fc.integer({ min: 1, max: 40 }),
        async (offsets, [edgeMs, cap], maxDays) => {
          const rows = offsets.map((offset, i) => row(`case-${i}`, T0 + offset));
          const server = fakeServer(rows, cap, edgeMs);
          const maxWindowMs = maxDays * DAY_MS;
          const result = await walkUpdateWindows({
            from: new Date(T0),
            to: new Date(T0 + span),
            maxWindowMs,
            minWindowMs: 1,
            cap,
            fetchWindow: server.fetchWindow,
          });
          const ids = result.records.map((r) => r.serviceRequestId);
          expect(new Set(ids).size).toBe(ids.length);
          expect([...ids].sort()).toEqual(rows.map((r) => r.serviceRequestId).sort());
          for (const call of server.calls) expect(call.before - call.after).toBeLessThanOrEqual(maxWindowMs);
        },
      ),
      { numRuns: 150 },
    );
  });
});
