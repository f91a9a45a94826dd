import type { ErrorCode } from "../domain/errors.ts";
import { SiltaError } from "../domain/errors.ts";

/**
 * Turns an unsuccessful HTTP answer or a thrown fetch error into a classified SiltaError, so
 * that every adapter retries the same way: connection errors, 408, 425 and 5xx are transient,
 * 429 is rate-limited (with Retry-After), 401/403 are auth, other 4xx are permanent, and a
 * timeout after the request was sent is indeterminate (the call may have taken effect).
 */
export function failureFromResponse(
  status: number,
  headers: Headers,
  what: string,
  detail = "",
  side: "target" | "case_system" = "target",
): SiltaError {
  const suffix = detail ? `: ${detail.slice(0, 300)}` : "";
  const message = `${what} answered HTTP ${status}${suffix}`;
  const code = codeForStatus(status, side);
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers.get("retry-after")) : undefined;
  return new SiltaError(code, message, { httpStatus: status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
}

function codeForStatus(status: number, side: "target" | "case_system"): ErrorCode {
  if (side === "case_system") {
    if (status === 401 || status === 403) return "case_system_auth_failed";
    if (status === 408 || status === 425 || status === 429 || status >= 500) return "case_system_unavailable";
    return "case_system_rejected";
  }
  if (status === 429) return "target_rate_limited";
  if (status === 401 || status === 403) return "target_auth_failed";
  if (status === 404) return "target_not_found";
  if (status === 408 || status === 425 || status >= 500) return "target_server_error";
  return "target_rejected";
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Classifies an error thrown by fetch. An abort by our own timeout after the request left is
 * indeterminate; a refused or reset connection before any answer is transient.
 */
export function failureFromFetchError(error: unknown, what: string, side: "target" | "case_system" = "target"): SiltaError {
  if (error instanceof SiltaError) return error;
  const name = error instanceof Error ? error.name : "";
  const message = error instanceof Error ? error.message : String(error);
  if (name === "TimeoutError" || name === "AbortError") {
    return new SiltaError(side === "target" ? "target_timeout" : "case_system_unavailable", `${what} timed out`, {
      cause: error,
    });
  }
  return new SiltaError(side === "target" ? "target_unavailable" : "case_system_unavailable", `${what} unreachable: ${message}`, {
    cause: error,
  });
}
