import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { SiltaError } from "../kernel/errors.ts";

/** Request headers by lower-case name, as the webhook verifiers read them. */
export type HeaderMap = Record<string, string | undefined>;

/**
 * Standard Webhooks signing (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<b64>`),
 * HMAC-SHA256 over `id.timestamp.body`, timestamps accepted within ±300 s in both directions.
 * Secrets are `whsec_<base64>` strings. During a rotation several secrets are active: outbound
 * messages carry one signature per secret, inbound ones pass if any secret matches.
 */
export function signWebhook(
  secrets: readonly string[],
  body: string,
  messageId: string,
  at: Date = new Date(),
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  if (secrets.length === 0) throw new SiltaError("config_invalid", "no webhook secret configured");
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, at, body));
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signatures.join(" "),
  };
}

/** Throws SiltaError `webhook_signature_invalid` unless one of the secrets signed this body recently. */
export function verifyWebhookSignature(secrets: readonly string[], headers: HeaderMap, body: string): void {
  const wanted = {
    "webhook-id": headers["webhook-id"] ?? "",
    "webhook-timestamp": headers["webhook-timestamp"] ?? "",
    "webhook-signature": headers["webhook-signature"] ?? "",
  };
  if (!wanted["webhook-id"] || !wanted["webhook-timestamp"] || !wanted["webhook-signature"]) {
    throw new SiltaError("webhook_signature_invalid", "missing webhook-id, webhook-timestamp or webhook-signature header");
  }
  let lastReason = "no webhook secret configured";
  for (const secret of secrets) {
    try {
      // jsonParse off: a signed body that is not JSON is the parser's problem (webhook_malformed), not a crash here.
      new Webhook(secret).verify(body, wanted, { jsonParse: false });
      return;
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      lastReason = error.message;
    }
  }
  throw new SiltaError("webhook_signature_invalid", `webhook rejected: ${lastReason}`);
}

/** Lower-cases header names so that adapters can read them without framework types. */
export function headerMap(headers: Headers): HeaderMap {
  const map: HeaderMap = {};
  headers.forEach((value, key) => {
    map[key.toLowerCase()] = value;
  });
  return map;
}

/** A fresh random secret in the `whsec_` format, for sandboxes and tests. */
export function generateWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
