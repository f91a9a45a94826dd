import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth as honoBearerAuth } from "hono/bearer-auth";
import type { ContractorGateway } from "../../ports/contractor-gateway.ts";
import { errorResponse } from "./api-errors.ts";
import type { ContractorApiEnv } from "./env.ts";

/** Keys are short tokens; anything longer is not one and is not worth hashing. */
const MAX_KEY_LENGTH = 512;
const REALM = 'Bearer realm="silta-contractor-api"';

/** No key, another scheme, or a value that cannot be a key (keys are `silta_` + base64url). */
const keyRequired = {
  wwwAuthenticateHeader: REALM,
  message: (c: Context) => errorResponse(c, "unauthorized", "an API key is required: Authorization: Bearer <key>"),
};

/**
 * Resolves `Authorization: Bearer <key>` to the contractor it belongs to and stores its target id
 * in the context (`hono/bearer-auth` parses the header). Missing or unknown keys answer 401 with
 * `WWW-Authenticate: Bearer` and the shared error body, before the body is read.
 */
export function bearerAuth(gateway: ContractorGateway): MiddlewareHandler<ContractorApiEnv> {
  return honoBearerAuth<ContractorApiEnv>({
    // The gateway compares the key's SHA-256 with the stored hashes; no key itself is stored.
    verifyToken: async (key, c) => {
      const contractor = key.length <= MAX_KEY_LENGTH ? await gateway.authenticate(key) : null;
      if (contractor) c.set("targetId", contractor.targetId);
      return contractor !== null;
    },
    noAuthenticationHeader: keyRequired,
    invalidAuthenticationHeader: keyRequired,
    invalidToken: {
      wwwAuthenticateHeader: `${REALM}, error="invalid_token"`,
      message: (c) => errorResponse(c, "unauthorized", "the API key is not valid"),
    },
  });
}
