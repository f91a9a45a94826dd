import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Env, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { Logger } from "../domain/deps.ts";
import { type ErrorCode, isSiltaError } from "../kernel/errors.ts";
import { type ApiErrorCode, codeForStatus, errorBody, errorResponse } from "./contractor-api/api-errors.ts";

export interface HttpAppOptions {
  /** Where unexpected errors are logged, with the request id (never the request); absent: not logged. */
  log?: Pick<Logger, "error">;
}

/** What an unexpected failure tells the caller: nothing but where to look. */
export const INTERNAL_ERROR_MESSAGE = "Silta could not handle the request; it has been logged with this request id";

/** Domain errors that are the caller's fault, and the API error each one answers with. */
const CALLER_ERRORS: Partial<Record<ErrorCode, ApiErrorCode>> = {
  webhook_signature_invalid: "unauthorized",
  webhook_malformed: "invalid_request",
  photo_unsupported: "unsupported_media_type",
  photo_too_large: "payload_too_large",
};

/**
 * An app of Silta's HTTP surface (the root app and every sub-app: admin API, contractor API,
 * console). All of them answer a failed validation, an unexpected error and an unknown path the
 * same way, with the shared body `{ error: { code, message, requestId } }`:
 *
 * - a NUL character anywhere in the path or query (`%00`): 400 `invalid_request`, before any
 *   route or auth runs (PostgreSQL cannot store it; bodies are checked by `limitedBody`);
 * - a zod validation failure (`defaultHook`): 400 `invalid_request`, naming paths, never values;
 * - an `HTTPException` carrying a response (e.g. from `hono/bearer-auth`): that response as built;
 *   without one: its status with the matching code (5xx: logged, message withheld);
 * - a SiltaError that is the caller's fault (a webhook's signature or body): 401 or 400;
 * - anything else: logged with the request id, answered 500 `internal_error`;
 * - no route: 404 `not_found`.
 *
 * Every app gets a request id (`X-Request-Id`); a sub-app keeps the one its parent already set.
 */
export function createHttpApp<E extends Env = Env>(options: HttpAppOptions = {}): OpenAPIHono<E> {
  const app = new OpenAPIHono<E>({
    // zod validation failures of `app.openapi` routes.
    defaultHook: (result, c) => {
      if (!result.success) return c.json(errorBody(c, "invalid_request", describeIssues(result.error.issues)), 400);
    },
  });
  app.use(async (c, next) => (c.get("requestId") ? next() : requestId()(c, next)));
  app.use(refuseNulInUrl);
  app.onError(httpErrorHandler(options.log));
  app.notFound(notFound);
  return app;
}

/**
 * A NUL character (U+0000) in the path or the query: a URL carries it only percent-encoded, so
 * `%00` in the raw URL is the whole test (`%2500` is a literal "%00" and passes). Nothing can
 * store it (PostgreSQL text refuses it) or means it, so it is refused before routing.
 */
const refuseNulInUrl: MiddlewareHandler = async (c, next) =>
  c.req.url.includes("%00") ? errorResponse(c, "invalid_request", "the path or query contains a NUL character (%00)") : next();

/** The first ten validation issues' paths and messages; input values are never echoed (they may be personal data). */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 10)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

function httpErrorHandler(log: HttpAppOptions["log"]): ErrorHandler {
  const logged = (error: Error, c: Context) => log?.error({ requestId: requestIdOf(c), err: error.message }, "request failed");
  return (error, c) => {
    if (error instanceof HTTPException) {
      // A middleware that built its whole answer (status, body, WWW-Authenticate) sends it as built.
      if (error.res) return error.getResponse();
      const code = codeForStatus(error.status);
      if (code !== "internal_error") return c.json(errorBody(c, code, error.message || code.replaceAll("_", " ")), error.status);
      logged(error, c);
      return c.json(errorBody(c, code, INTERNAL_ERROR_MESSAGE), error.status);
    }
    const callerError = isSiltaError(error) ? CALLER_ERRORS[error.code] : undefined;
    if (callerError) return errorResponse(c, callerError, error.message);
    logged(error, c);
    return errorResponse(c, "internal_error", INTERNAL_ERROR_MESSAGE);
  };
}

const notFound: NotFoundHandler = (c) => errorResponse(c, "not_found", `no route for ${c.req.method} ${c.req.path}`);

function requestIdOf(c: Context): string | undefined {
  const id: unknown = c.get("requestId");
  return typeof id === "string" ? id : undefined;
}
