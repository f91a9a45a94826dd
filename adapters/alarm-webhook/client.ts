import pRetry, { AbortError } from "p-retry";
import { signWebhook } from "../../src/lib/webhook-signature.ts";
import type { AlarmChannel, LateAnswerAlarm } from "../../src/ports/alarm-channel.ts";

/**
 * Late-answer alarms as a signed webhook (Standard Webhooks: `webhook-id`, `-timestamp`,
 * `-signature`), the form chat tools and alerting relays take: one POST per batch,
 * `{ type: "silta.late_answer", alarms: [...] }`. Ids, codes and references only, never case
 * text. Retried three times on a network error or a 5xx/429; a 4xx is final.
 */
export function createAlarmWebhook(options: {
  url: string;
  secrets: readonly string[];
  /** The outbound fetch (Silta's guarded one: https to public hosts); default the global fetch. */
  fetch?: (request: Request) => Promise<Response>;
  timeoutMs?: number;
  retryBaseMs?: number;
}): AlarmChannel {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  return {
    async send(alarms: readonly LateAnswerAlarm[]) {
      if (alarms.length === 0) return;
      const body = JSON.stringify({ type: "silta.late_answer", alarms });
      // One id per batch content: a retried delivery carries the same id, so a receiver can drop repeats.
      const messageId = `msg_alarm_${alarms.map((a) => `${a.level[0]}${a.findingId}`).join("-")}`.slice(0, 200);
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
          const error = new Error(`the alarm webhook answered ${response.status}`);
          if (response.status < 500 && response.status !== 429) throw new AbortError(error);
          throw error;
        },
        { retries: 3, minTimeout: options.retryBaseMs ?? 500, factor: 2 },
      );
    },
  };
}
