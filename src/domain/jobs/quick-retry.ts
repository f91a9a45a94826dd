import pRetry, { AbortError } from "p-retry";
import { type SiltaError, toSiltaError } from "../../kernel/errors.ts";

/** The longest Retry-After a quick in-call retry will wait for; longer waits become durable retries. */
const MAX_QUICK_WAIT_MS = 2_000;

/**
 * Runs an outbound call with at most one quick retry (reliability.md R6), for transient and
 * rate-limited failures only. Indeterminate failures (the call may have taken effect) are not
 * retried here: the durable retry looks the work order up first. Every failure comes out as a
 * classified SiltaError.
 */
export async function withQuickRetry<T>(
  call: () => Promise<T>,
  options: {
    retries?: number;
    minTimeoutMs?: number;
    /** Narrows which retryable failures are retried here (a create without key de-duplication: 429 only). */
    retryWhen?: (error: SiltaError) => boolean;
    /** Control-flow errors (a lost lease, a deferral) that leave at once, unclassified. */
    passThrough?: (error: unknown) => boolean;
  } = {},
): Promise<T> {
  const control: { caught: boolean; error?: unknown } = { caught: false };
  try {
    return await pRetry(
      async () => {
        try {
          return await call();
        } catch (error) {
          if (options.passThrough?.(error)) {
            control.caught = true;
            control.error = error;
            throw new AbortError("control flow");
          }
          // p-retry gives up at once on non-network TypeErrors; a classified error keeps the decision ours.
          throw toSiltaError(error);
        }
      },
      {
        retries: options.retries ?? 1,
        minTimeout: options.minTimeoutMs ?? 100,
        factor: 2,
        randomize: true,
        shouldRetry: ({ error }) => {
          const failure = toSiltaError(error);
          if (!failure.retryable || failure.errorClass === "indeterminate") return false;
          if (options.retryWhen && !options.retryWhen(failure)) return false;
          return (failure.retryAfterMs ?? 0) <= MAX_QUICK_WAIT_MS;
        },
        onFailedAttempt: async ({ error, retriesLeft }) => {
          const wait = toSiltaError(error).retryAfterMs;
          // p-retry does not read Retry-After: honour it before the next attempt.
          if (retriesLeft > 0 && wait && wait <= MAX_QUICK_WAIT_MS) await new Promise((resolve) => setTimeout(resolve, wait));
        },
      },
    );
  } catch (error) {
    if (control.caught) throw control.error;
    throw toSiltaError(error);
  }
}
