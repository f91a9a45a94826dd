import type { MiddlewareHandler } from "hono";
import { errorResponse } from "../contractor-api/api-errors.ts";
import { bearerToken, type TokenSet } from "./tokens.ts";

const REALM = 'Bearer realm="silta-admin"';

/** What the admin routes put in the context. */
export interface AdminApiEnv {
  Variables: {
    /** `admin:<token fingerprint>`: written into every audit row. */
    actor: string;
    requestId: string;
  };
}

/**
 * Admin API authentication: `Authorization: Bearer <admin token>`, compared in constant time.
 * A contractor's API key is a valid credential but not an admin's: 403, so a contractor learns
 * it reached a door it may not open; anything else is 401.
 */
export function adminBearerAuth(
  tokens: TokenSet,
  isContractorKey: (token: string) => Promise<boolean>,
): MiddlewareHandler<AdminApiEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) {
      c.header("WWW-Authenticate", REALM);
      return errorResponse(c, "unauthorized", "an admin token is required: Authorization: Bearer <token>");
    }
    const fingerprint = await tokens.match(token);
    if (fingerprint) {
      c.set("actor", `admin:${fingerprint}`);
      return next();
    }
    if (token.length <= 512 && (await isContractorKey(token))) {
      return errorResponse(c, "forbidden", "contractor keys cannot use the admin API");
    }
    c.header("WWW-Authenticate", `${REALM}, error="invalid_token"`);
    return errorResponse(c, "unauthorized", "the admin token is not valid");
  };
}
