/**
 * An idle wait that a kick cuts short: `wait(ms)` resolves after `ms`, at the next `kick()`, or
 * at once when a kick came while nobody waited or after `close()` (a stopping loop must not
 * sleep). Loops use it to wait for work without polling hard.
 */
export interface WakeTimer {
  wait(ms: number): Promise<void>;
  kick(): void;
  /** From now on `wait` returns at once; a pending wait ends now. */
  close(): void;
}

export function createWakeTimer(): WakeTimer {
  let wake: (() => void) | null = null;
  let kicked = false;
  let closed = false;
  return {
    wait: (ms) =>
      new Promise<void>((resolve) => {
        if (kicked || closed) {
          kicked = false;
          resolve();
          return;
        }
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = null;
          kicked = false;
          resolve();
        }
        wake = done;
      }),
    kick() {
      kicked = true;
      wake?.();
    },
    close() {
      closed = true;
      wake?.();
    },
  };
}
