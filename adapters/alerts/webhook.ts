import type { AlertChannel, AlertNotice } from "../../src/ports/alert-channel.ts";
import { postSignedJson, type SignedPostOptions } from "./signed-post.ts";

/** Alerts as a Standard Webhooks-signed POST, `{ type: "silta.alert", alerts: [...] }`, which chat relays and alerting tools take. */
export function createWebhookAlertChannel(options: SignedPostOptions): AlertChannel {
  return {
    name: "webhook",
    async send(notices: readonly AlertNotice[]) {
      if (notices.length === 0) return;
      const messageId = `msg_alert_${notices.map((n) => `${n.event[0]}${n.id}`).join("-")}`.slice(0, 200);
      await postSignedJson(options, JSON.stringify({ type: "silta.alert", alerts: notices }), messageId, "alert webhook");
    },
  };
}
