/**
 * Wraps a periodic chore so that it runs at most once every `everyMs` per key (a process's deps):
 * work loops call it on every round, and it does its work now and then. The key is held weakly,
 * so a stopped runtime's state goes with it.
 */
export function atMostEvery<K extends object>(everyMs: number, chore: (key: K) => Promise<void>): (key: K) => Promise<void> {
  const lastRun = new WeakMap<K, number>();
  return async (key) => {
    const now = Date.now();
    if (now - (lastRun.get(key) ?? 0) < everyMs) return;
    lastRun.set(key, now);
    await chore(key);
  };
}
