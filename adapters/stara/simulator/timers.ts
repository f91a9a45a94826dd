/**
 * Every timer the simulator starts goes through one registry, so that `stop()` can clear them
 * all: a test that stops the simulator leaves no handle behind, and nothing fires after stop.
 */
export interface TimerRegistry {
  /** Runs `task` after `ms`; does nothing once stopped. Errors in the task go to `onError`. */
  after(ms: number, task: () => void | Promise<void>): ReturnType<typeof setTimeout> | null;
  cancel(handle: ReturnType<typeof setTimeout> | null | undefined): void;
  /** Resolves after `ms`, or at once when the registry stops (a request never hangs past stop). */
  sleep(ms: number): Promise<void>;
  /** Clears every pending timer and releases every sleeper; later calls to `after` do nothing. */
  stop(): void;
  readonly stopped: boolean;
  /** Timers still pending (for tests and `/__sim/state`). */
  readonly pending: number;
}

export function createTimerRegistry(onError: (error: unknown) => void): TimerRegistry {
  const handles = new Set<ReturnType<typeof setTimeout>>();
  const sleepers = new Map<ReturnType<typeof setTimeout>, () => void>();
  let stopped = false;

  const after: TimerRegistry["after"] = (ms, task) => {
    if (stopped) return null;
    const handle = setTimeout(
      () => {
        handles.delete(handle);
        try {
          const result = task();
          if (result instanceof Promise) result.catch(onError);
        } catch (error) {
          onError(error);
        }
      },
      Math.max(0, ms),
    );
    handles.add(handle);
    return handle;
  };

  return {
    after,
    cancel(handle) {
      if (!handle) return;
      clearTimeout(handle);
      handles.delete(handle);
    },
    sleep(ms) {
      if (stopped || ms <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const handle = setTimeout(() => {
          sleepers.delete(handle);
          resolve();
        }, ms);
        sleepers.set(handle, resolve);
      });
    },
    stop() {
      stopped = true;
      for (const handle of handles) clearTimeout(handle);
      handles.clear();
      for (const [handle, resolve] of sleepers) {
        clearTimeout(handle);
        resolve();
      }
      sleepers.clear();
    },
    get stopped() {
      return stopped;
    },
    get pending() {
      return handles.size + sleepers.size;
    },
  };
}
