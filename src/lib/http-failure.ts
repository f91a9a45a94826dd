import type { ErrorCode } from "../kernel/errors.ts";
import { SiltaError } from "../kernel/errors.ts";
import { cutText, FAILURE_REASON_MAX_CHARS, shortFailureReason, shortText } from "./failure-reason.ts";

/** The longest message a failure built here carries (what was called, the status, the reason). */
export const FAILURE_MESSAGE_MAX_CHARS = 300;

/**
 * Turns an unsuccessful HTTP answer or a thrown fetch error into a classified SiltaError, so
 * that every adapter retries the same way: connection errors, 408, 425 and 5xx are transient,
 * 429 is rate-limited (with Retry-After), 401/403 are auth, other 4xx are permanent, and a
 * timeout after the request was sent is indeterminate (the call may have taken effect).
 *
 * `detail` is text the caller chose to show (an error code, a description); markup in it is
 * reduced to its words and it is cut short. To describe the answer's raw body, use
 * `failureFromAnswer`.
 */
export function failureFromResponse(
  status: number,
  headers: Headers,
  what: string,
  detail = "",
  side: "target" | "case_system" = "target",
): SiltaError {
  const reason = detail ? shortText(detail, FAILURE_REASON_MAX_CHARS, status) : "";
  return classified(status, headers, `${what} answered HTTP ${status}${reason ? `: ${reason}` : ""}`, side);
}

/**
 * Like `failureFromResponse`, with the answer's raw body (text, bytes or parsed JSON) described
 * by `shortFailureReason`: `Open311 requests answered HTTP 404 (text/html): Not Found – …`.
 * Only for bodies that cannot echo personal data back (a case system's or a proxy's errors);
 * a target's error text may repeat the fields Silta sent, so targets pass their error code to
 * `failureFromResponse` instead.
 */
export function failureFromAnswer(
  status: number,
  headers: Headers,
  what: string,
  body: unknown,
  side: "target" | "case_system" = "target",
): SiltaError {
  const reason = shortFailureReason({ status, contentType: headers.get("content-type"), body });
  return classified(status, headers, `${what} answered ${reason}`, side);
}

function classified(status: number, headers: Headers, message: string, side: "target" | "case_system"): SiltaError {
  const code = codeForStatus(status, side);
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers.get("retry-after")) : undefined;
  return new SiltaError(code, cutText(message, FAILURE_MESSAGE_MAX_CHARS), {
    httpStatus: status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
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
  return new SiltaError(
    side === "target" ? "target_unavailable" : "case_system_unavailable",
    cutText(`${what} unreachable: ${shortText(message, FAILURE_REASON_MAX_CHARS)}`, FAILURE_MESSAGE_MAX_CHARS),
    { cause: error },
  );
}
