import pRetry, { AbortError } from "p-retry";
import { signWebhook } from "../../src/lib/webhook-signature.ts";

export interface SignedPostOptions {
  url: string;
  secrets: readonly string[];
  /** The outbound fetch (Silta's guarded one); default the global fetch, looked up per call. */
  fetch?: (request: Request) => Promise<Response>;
  timeoutMs?: number;
  retryBaseMs?: number;
}

/**
 * POSTs a JSON body signed with Standard Webhooks headers (`webhook-id` = `messageId`, so a
 * retried delivery carries the same id and a receiver can drop repeats). Retried three times on
 * network errors, 5xx and 429; a 4xx is final. Throws when the receiver did not take it.
 */
export async function postSignedJson(options: SignedPostOptions, body: string, messageId: string, what: string): Promise<void> {
  const send = options.fetch ?? ((request: Request) => fetch(request));
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
      const error = new Error(`the ${what} answered ${response.status}`);
      if (response.status < 500 && response.status !== 429) throw new AbortError(error);
      throw error;
    },
    { retries: 3, minTimeout: options.retryBaseMs ?? 500, factor: 2 },
  );
}
