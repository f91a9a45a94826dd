import { SiltaError } from "../../src/kernel/errors.ts";
import { verifyWebhookSignature } from "../../src/lib/webhook-signature.ts";
import type { FieldEvent, HeaderMap } from "../../src/ports/work-order-system.ts";
import type { StaraEventWire } from "./wire.ts";
import { describeIssues, staraWebhookBodySchema } from "./wire.ts";

/**
 * Maps one Stara change to Silta's FieldEvent. The state is passed on raw (in Unicode NFC, so
 * that `TYÖN_ALLA` compares equal however Stara's stack encoded the `Ö`); mapping and quarantine
 * of unknown codes happen in core.
 */
export function toFieldEvent(event: StaraEventWire): FieldEvent {
  return {
    eventId: event.tapahtuma_id,
    externalRef: event.ulkoinen_viite,
    workOrderId: event.tunnus,
    statusCode: event.tila.normalize("NFC"),
    occurredAt: event.aikaleima,
    note: event.huomautus ?? null,
    ...(event.liitteet?.length
      ? { photos: event.liitteet.map((liite) => ({ kind: PHOTO_KINDS[liite.laji], bytes: fromBase64(liite.sisalto) })) }
      : {}),
  };
}

const PHOTO_KINDS = { ennen: "before", jalkeen: "after", valmis: "completion" } as const;

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

/**
 * Verifies a Stara status webhook (Standard Webhooks signature by any of the active secrets,
 * timestamp within ±300 s) and parses its events. Throws SiltaError `webhook_signature_invalid`
 * before reading the body, and `webhook_malformed` when a signed body does not fit the schema.
 */
export function verifyStaraWebhook(secrets: readonly string[], headers: HeaderMap, rawBody: string): FieldEvent[] {
  try {
    verifyWebhookSignature(secrets, lowerCaseKeys(headers), rawBody);
  } catch (error) {
    // The standardwebhooks library JSON-parses the body after a signature matched, so a
    // SyntaxError here means "signed, but not JSON": malformed, not a crash.
    if (error instanceof SyntaxError)
      throw new SiltaError("webhook_malformed", "Stara webhook body is not JSON", { cause: error });
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch (error) {
    throw new SiltaError("webhook_malformed", "Stara webhook body is not JSON", { cause: error });
  }
  const parsed = staraWebhookBodySchema.safeParse(json);
  if (!parsed.success) {
    throw new SiltaError("webhook_malformed", `Stara webhook body does not fit the schema: ${describeIssues(parsed.error)}`);
  }
  return parsed.data.tapahtumat.map(toFieldEvent);
}

// The port promises lower-cased names; a caller that passes a framework's original casing
// should still be verified rather than rejected for a missing header.
function lowerCaseKeys(headers: HeaderMap): HeaderMap {
  const map: HeaderMap = {};
  for (const [key, value] of Object.entries(headers)) map[key.toLowerCase()] = value;
  return map;
}
