import pRetry from "p-retry";
import { toSiltaError } from "./errors.ts";

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
  options: { retries?: number; minTimeoutMs?: number } = {},
): Promise<T> {
  try {
    return await pRetry(
      async () => {
        try {
          return await call();
        } catch (error) {
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
    throw toSiltaError(error);
  }
}
