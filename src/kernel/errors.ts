/**
 * The closed set of error codes. Every failure that crosses a port is a SiltaError with one of
 * these codes; the same code goes into the ledger, the logs and the admin console.
 */
export const ERROR_CLASSES = [
  "transient", // connection errors, 408, 425, 5xx: retry with backoff
  "rate_limited", // 429: retry after Retry-After
  "indeterminate", // the request may have taken effect (timeout or reset after send): look up before retrying a create
  "permanent", // validation 4xx: never retry, park with the reason
  "auth", // 401/403: park until credentials are fixed
  "unmapped", // no mapping for a status or field: park until the mapping is fixed
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export const ERROR_CODES = {
  target_unavailable: "transient",
  target_server_error: "transient",
  target_timeout: "indeterminate",
  target_rate_limited: "rate_limited",
  target_rejected: "permanent",
  target_bad_response: "transient",
  target_auth_failed: "auth",
  target_not_found: "permanent",
  case_system_unavailable: "transient",
  case_system_rejected: "permanent",
  case_system_auth_failed: "auth",
  status_unmapped: "unmapped",
  route_missing: "unmapped",
  webhook_signature_invalid: "permanent",
  webhook_malformed: "permanent",
  config_invalid: "permanent",
  outbound_refused: "permanent", // S5: the destination is not allowed (scheme, host, private address, redirect target)
  mapping_invalid: "permanent",
  skipped_by_admin: "permanent", // an admin decided the job will not be sent: its link is parked with this code
  photo_unsupported: "permanent", // not a JPEG, PNG or WebP by its content (whatever it claims to be)
  photo_too_large: "permanent", // over the configured photo size limit
  internal: "transient",
} as const satisfies Record<string, ErrorClass>;
export type ErrorCode = keyof typeof ERROR_CODES;

const RETRYABLE: ReadonlySet<ErrorClass> = new Set(["transient", "rate_limited", "indeterminate"]);

export interface SiltaErrorOptions {
  cause?: unknown;
  /** HTTP status of the remote answer, when there was one. */
  httpStatus?: number;
  /** How long the remote asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /** Ids and small facts for logs; never personal data. */
  context?: Record<string, string | number | boolean | null>;
}

export class SiltaError extends Error {
  readonly code: ErrorCode;
  readonly errorClass: ErrorClass;
  readonly retryable: boolean;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly context: Record<string, string | number | boolean | null>;

  constructor(code: ErrorCode, message: string, options: SiltaErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "SiltaError";
    this.code = code;
    this.errorClass = ERROR_CODES[code];
    this.retryable = RETRYABLE.has(this.errorClass);
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
    this.context = options.context ?? {};
  }
}

export function isSiltaError(error: unknown): error is SiltaError {
  return error instanceof SiltaError;
}

/** Wraps anything thrown into a SiltaError, keeping SiltaErrors as they are. */
export function toSiltaError(error: unknown): SiltaError {
  if (error instanceof SiltaError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SiltaError("internal", message, { cause: error });
}
