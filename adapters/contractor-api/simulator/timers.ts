/**
 * Every timer the simulator starts, so that `stop()` can clear them all at once (a test that
 * stops the simulator must not leave callbacks firing into the next test).
 */
export interface TimerSet {
  /** Runs `callback` after `ms`, unless the set is cleared first; `group` allows cancelling a subset. */
  after(ms: number, callback: () => void, group?: string): void;
  /** Resolves after `ms`, or at once when the set is cleared. */
  sleep(ms: number): Promise<void>;
  /** Cancels the pending callbacks of one group (e.g. one work order's progress). */
  cancelGroup(group: string): void;
  /** Cancels everything and resolves every pending sleep. */
  clearAll(): void;
  /** How many callbacks and sleeps are pending. */
  pending(): number;
}

export function createTimerSet(): TimerSet {
  const timers = new Map<ReturnType<typeof setTimeout>, { group: string | undefined; wake: (() => void) | undefined }>();
  let cleared = false;
  return {
    after(ms, callback, group) {
      if (cleared) return;
      const handle = setTimeout(() => {
        timers.delete(handle);
        callback();
      }, ms);
      timers.set(handle, { group, wake: undefined });
    },
    sleep(ms) {
      if (cleared) return Promise.resolve();
      return new Promise((resolve) => {
        const handle = setTimeout(() => {
          timers.delete(handle);
          resolve();
        }, ms);
        timers.set(handle, { group: undefined, wake: resolve });
      });
    },
    cancelGroup(group) {
      for (const [handle, entry] of timers) {
        if (entry.group !== group) continue;
        clearTimeout(handle);
        timers.delete(handle);
      }
    },
    clearAll() {
      cleared = true;
      for (const [handle, entry] of timers) {
        clearTimeout(handle);
        entry.wake?.();
      }
      timers.clear();
    },
    pending: () => timers.size,
  };
}
