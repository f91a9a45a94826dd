import type { Context, MiddlewareHandler } from "hono";
import { errorResponse } from "../contractor-api/api-errors.ts";
import { bearerToken, type TokenSet } from "./tokens.ts";

/**
 * Read access to case pages: a handler token or an admin token, as `Authorization: Bearer` or
 * as `?token=` (for the case system to embed the page in an iframe). Both compared in constant time.
 */
export function caseReaderAuth(
  handlerTokens: TokenSet,
  adminTokens: TokenSet,
  /** How a page answers a refusal (an HTML page for people); default the JSON error. */
  refuse?: (c: Context, kind: "missing" | "invalid") => Response | Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization")) ?? c.req.query("token") ?? null;
    if (!token) {
      c.header("WWW-Authenticate", 'Bearer realm="silta-cases"');
      if (refuse) return refuse(c, "missing");
      return errorResponse(c, "unauthorized", "a handler token is required: Authorization: Bearer <token> or ?token=");
    }
    const [handler, admin] = await Promise.all([handlerTokens.match(token), adminTokens.match(token)]);
    if (!handler && !admin) {
      c.header("WWW-Authenticate", 'Bearer realm="silta-cases", error="invalid_token"');
      if (refuse) return refuse(c, "invalid");
      return errorResponse(c, "unauthorized", "the token is not valid");
    }
    await next();
  };
}
