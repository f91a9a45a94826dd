import type { MiddlewareHandler } from "hono";
import type { ContractorGateway } from "../../ports/contractor-gateway.ts";
import { errorResponse } from "./api-errors.ts";
import type { ContractorApiEnv } from "./env.ts";

/** Keys are short tokens; anything longer is not one and is not worth hashing. */
const MAX_KEY_LENGTH = 512;
const REALM = 'Bearer realm="silta-contractor-api"';

/**
 * Resolves `Authorization: Bearer <key>` to the contractor it belongs to and stores its target id
 * in the context. Missing or unknown keys answer 401 with `WWW-Authenticate: Bearer` before the
 * body is read.
 */
export function bearerAuth(gateway: ContractorGateway): MiddlewareHandler<ContractorApiEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    const key = match?.[1];
    if (!key) {
      c.header("WWW-Authenticate", REALM);
      return errorResponse(c, "unauthorized", "an API key is required: Authorization: Bearer <key>");
    }
    const contractor = key.length <= MAX_KEY_LENGTH ? await gateway.authenticate(key) : null;
    if (!contractor) {
      c.header("WWW-Authenticate", `${REALM}, error="invalid_token"`);
      return errorResponse(c, "unauthorized", "the API key is not valid");
    }
    c.set("targetId", contractor.targetId);
    await next();
  };
}
