import { z } from "@hono/zod-openapi";
import type { Context } from "hono";

/**
 * The contractor API's closed set of error codes and the HTTP status each one answers with.
 * Every error leaves as `{ error: { code, message, requestId } }`.
 */
export const API_ERRORS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_conflict: 422,
  rate_limited: 429,
  header_too_large: 431,
  internal_error: 500,
  unavailable: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]]).openapi({ example: "invalid_request" }),
      message: z.string().openapi({ example: "occurredAt: Invalid ISO datetime" }),
      requestId: z.string().openapi({ example: "9f1c2a4e-2b7d-4c1e-9a57-0c5a3f3b2e10" }),
    }),
  })
  .openapi("Error");
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** The error body for this request; `requestId` matches the `X-Request-Id` response header. */
export function errorBody(c: Context, code: ApiErrorCode, message: string): ErrorBody {
  const requestId: unknown = c.get("requestId");
  return { error: { code, message, requestId: typeof requestId === "string" ? requestId : "" } };
}

/** Answers with the error's own status and the shared body. */
export function errorResponse(c: Context, code: ApiErrorCode, message: string): Response {
  return c.json(errorBody(c, code, message), API_ERRORS[code]);
}

/** The error codes a status maps to when the error came from Hono or a middleware. */
export function codeForStatus(status: number): ApiErrorCode {
  // A server-side failure never names itself by status (its message is withheld as internal);
  // `unavailable` is only ever chosen on purpose (a feature this instance does not offer).
  if (status >= 500) return "internal_error";
  const found = (Object.entries(API_ERRORS) as [ApiErrorCode, number][]).find(([, value]) => value === status);
  if (found) return found[0];
  return status >= 500 ? "internal_error" : "invalid_request";
}

/** An error response entry for `createRoute`, with the shared body schema. */
export function errorContent(description: string) {
  return { description, content: { "application/json": { schema: ErrorBodySchema } } };
}

/** Error responses every authenticated route shares; spread into each `createRoute`. */
export const sharedErrorResponses = {
  400: errorContent("The request is invalid (parameters, headers or body)."),
  401: {
    ...errorContent("Missing or invalid API key."),
    headers: { "WWW-Authenticate": { schema: { type: "string" as const }, description: "`Bearer`" } },
  },
  429: {
    ...errorContent("Too many requests with this key; wait `Retry-After` seconds."),
    headers: { "Retry-After": { schema: { type: "integer" as const }, description: "Seconds to wait before trying again." } },
  },
  500: errorContent("Silta failed; retry later with the same Idempotency-Key."),
};

export const notFoundResponse = {
  404: errorContent("No such work order for this contractor."),
};

export const bodyErrorResponses = {
  400: errorContent("The request is invalid (parameters, headers or body), or its JSON is nested deeper than 32 levels."),
  408: errorContent("The body did not arrive within the read deadline."),
  413: errorContent("The body is larger than 256 KiB."),
  415: errorContent("The body is not `application/json`."),
  422: errorContent("This Idempotency-Key was already used with a different body."),
};
