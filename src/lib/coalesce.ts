/**
 * One coalescer per owner (a database handle): items share batches only with items of the same
 * owner, and an owner's queue goes when the owner does.
 */
export function createCoalescerPerOwner<K extends object, I, O>(
  flush: (owner: K, items: I[]) => Promise<O[]>,
  maxBatch?: number,
): (owner: K, item: I) => Promise<O> {
  const coalescers = new WeakMap<K, (item: I) => Promise<O>>();
  return (owner, item) => {
    let add = coalescers.get(owner);
    if (!add) {
      add = createCoalescer((items: I[]) => flush(owner, items), maxBatch);
      coalescers.set(owner, add);
    }
    return add(item);
  };
}

/**
 * Group commit without a timer: `add(item)` flushes at once when nothing is being flushed, and
 * items that arrive while a flush runs wait for it and go together in the next one. A lone item
 * never waits; under load, batches grow by themselves, so many callers share one statement and
 * one commit.
 *
 * A failed batch of several items is flushed again one item at a time, so that one bad item
 * fails alone and the others' answers are their own. `flush` must therefore be safe to run again
 * for the items of a failed batch (a batch that failed left nothing behind: one statement or one
 * transaction).
 */
export function createCoalescer<I, O>(flush: (items: I[]) => Promise<O[]>, maxBatch = 200): (item: I) => Promise<O> {
  type Waiter = { item: I; resolve: (out: O) => void; reject: (error: unknown) => void };
  let queue: Waiter[] = [];
  let flushing = false;

  const settle = async (batch: Waiter[]) => {
    try {
      const out = await flush(batch.map((w) => w.item));
      if (out.length !== batch.length) throw new Error(`coalesce: flush answered ${out.length} of ${batch.length} items`);
      for (const [i, w] of batch.entries()) w.resolve(out[i] as O);
    } catch (error) {
      if (batch.length === 1) batch[0]?.reject(error);
      else for (const w of batch) await settle([w]);
    }
  };

  const drain = async () => {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
        queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
        await settle(batch);
      }
    } finally {
      flushing = false;
    }
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!flushing) void drain();
    });
}
