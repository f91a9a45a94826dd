import pRetry, { AbortError } from "p-retry";
import { signWebhook } from "../../src/lib/webhook-signature.ts";
import type { AlertChannel, AlertNotice } from "../../src/ports/alert-channel.ts";

/**
 * Alerts as a Standard Webhooks-signed POST, `{ type: "silta.alert", alerts: [...] }`, which chat
 * relays and alerting tools take. Retried on network errors, 5xx and 429; a 4xx is final.
 */
export function createWebhookAlertChannel(options: {
  url: string;
  secrets: readonly string[];
  fetch?: (request: Request) => Promise<Response>;
  timeoutMs?: number;
  retryBaseMs?: number;
}): AlertChannel {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  return {
    name: "webhook",
    async send(notices: readonly AlertNotice[]) {
      if (notices.length === 0) return;
      const body = JSON.stringify({ type: "silta.alert", alerts: notices });
      const messageId = `msg_alert_${notices.map((n) => `${n.event[0]}${n.id}`).join("-")}`.slice(0, 200);
      await pRetry(
        async () => {
          const response = await send(
            new Request(options.url, {
              method: "POST",
              headers: { "content-type": "application/json", ...signWebhook(options.secrets, body, messageId) },
              body,
              signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
            }),
          );
          await response.body?.cancel();
          if (response.ok) return;
          const error = new Error(`the alert webhook answered ${response.status}`);
          if (response.status < 500 && response.status !== 429) throw new AbortError(error);
          throw error;
        },
        { retries: 3, minTimeout: options.retryBaseMs ?? 500, factor: 2 },
      );
    },
  };
}
