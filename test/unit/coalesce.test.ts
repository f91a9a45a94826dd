import { describe, expect, it } from "vitest";
import { createCoalescer, createCoalescerPerOwner } from "../../src/lib/coalesce.ts";

/** A flush the test releases by hand, recording each batch it was given. */
function manualFlush(fail: (item: number) => boolean = () => false) {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const flush = (items: number[]) => {
    batches.push(items);
    return new Promise<number[]>((resolve, reject) => {
      pending.push(() => (items.some(fail) ? reject(new Error(`bad item in ${items}`)) : resolve(items.map((i) => i * 10))));
    });
  };
  const releaseAll = async () => {
    while (pending.length > 0) {
      pending.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { flush, batches, releaseAll };
}

describe("createCoalescer", () => {
  it("flushes a lone item at once, alone", async () => {
    const m = manualFlush();
    const add = createCoalescer(m.flush);
    const answer = add(1);
    expect(m.batches).toEqual([[1]]);
    await m.releaseAll();
    expect(await answer).toBe(10);
  });

  it("sends what arrived during a flush together in the next one", async () => {
    const m = manualFlush();
    const add = createCoalescer(m.flush);
    const answers = [add(1), add(2), add(3), add(4)];
    expect(m.batches).toEqual([[1]]);
    await m.releaseAll();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40]);
    expect(m.batches).toEqual([[1], [2, 3, 4]]);
  });

  it("keeps batches within the limit", async () => {
    const m = manualFlush();
    const add = createCoalescer(m.flush, 2);
    const answers = [1, 2, 3, 4, 5].map(add);
    await m.releaseAll();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
    expect(m.batches).toEqual([[1], [2, 3], [4, 5]]);
  });

  it("fails only the bad item of a failed batch: the rest are flushed again alone", async () => {
    const m = manualFlush((i) => i === 3);
    const add = createCoalescer(m.flush);
    const answers = [1, 2, 3, 4].map((i) => add(i).then(String, (e: Error) => `failed: ${e.message}`));
    await m.releaseAll();
    expect(await Promise.all(answers)).toEqual(["10", "20", "failed: bad item in 3", "40"]);
    expect(m.batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it("keeps working after a failure", async () => {
    const m = manualFlush((i) => i === 1);
    const add = createCoalescer(m.flush);
    const first = add(1).catch((e: Error) => e.message);
    await m.releaseAll();
    expect(await first).toMatch(/bad item/);
    const second = add(2);
    await m.releaseAll();
    expect(await second).toBe(20);
  });

  it("per owner: items of different owners never share a batch", async () => {
    const batches: string[][] = [];
    const release: (() => void)[] = [];
    const add = createCoalescerPerOwner((owner: { name: string }, items: number[]) => {
      batches.push(items.map((i) => `${owner.name}${i}`));
      return new Promise<number[]>((resolve) => release.push(() => resolve(items)));
    });
    const a = { name: "a" };
    const b = { name: "b" };
    const answers = [add(a, 1), add(b, 1), add(a, 2), add(b, 2), add(a, 3)];
    while (release.length > 0) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(answers)).toEqual([1, 1, 2, 2, 3]);
    expect(batches).toEqual([["a1"], ["b1"], ["a2", "a3"], ["b2"]]);
  });
});
