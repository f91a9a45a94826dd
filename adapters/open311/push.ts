import { SiltaError } from "../../src/kernel/errors.ts";
import { verifyWebhookSignature } from "../../src/lib/webhook-signature.ts";
import type { PushedCases } from "../../src/ports/case-system.ts";
import type { HeaderMap } from "../../src/ports/work-order-system.ts";
import { parseCaseList } from "./parse.ts";

/**
 * Reads a case pushed by the city's system: a Standard Webhooks signature by one of the active
 * secrets (timestamp within ±300 s), then a body in the form GeoReport v2 lists answer (a JSON
 * array of service requests, `extensions=true` fields included) or one such request alone.
 *
 * Throws SiltaError `webhook_signature_invalid` before looking at the body, and
 * `webhook_malformed` when a signed body is not JSON or neither a request nor a list of them.
 * Rows that cannot be cases come back as rejects with their reason, so one bad row costs the
 * sender that row only; the others are taken.
 */
export function readPushedCases(secrets: readonly string[], headers: HeaderMap, rawBody: string): PushedCases {
  verifyWebhookSignature(secrets, headers, rawBody);
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch (error) {
    throw new SiltaError("webhook_malformed", "pushed body is not JSON", { cause: error });
  }
  const rows = Array.isArray(json) ? json : typeof json === "object" && json !== null ? [json] : null;
  if (rows === null) throw new SiltaError("webhook_malformed", "pushed body is neither a service request nor a list of them");
  const list = parseCaseList(rows);
  if (!list.ok) throw new SiltaError("webhook_malformed", `pushed body: ${list.reason}`);
  return {
    records: list.records,
    rejects: list.rejects.map(({ index, reason, serviceRequestId }) => ({ index, reason, serviceRequestId })),
  };
}
