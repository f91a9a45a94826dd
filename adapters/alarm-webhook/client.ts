import type { AlarmChannel, LateAnswerAlarm } from "../../src/ports/alarm-channel.ts";
import { postSignedJson, type SignedPostOptions } from "../alerts/signed-post.ts";

/**
 * Late-answer alarms as a signed webhook (Standard Webhooks), the form chat tools and alerting
 * relays take: one POST per batch, `{ type: "silta.late_answer", alarms: [...] }`. Ids, codes and
 * references only, never case text.
 */
export function createAlarmWebhook(options: SignedPostOptions): AlarmChannel {
  return {
    async send(alarms: readonly LateAnswerAlarm[]) {
      if (alarms.length === 0) return;
      // One id per batch content: a retried delivery carries the same id, so a receiver can drop repeats.
      const messageId = `msg_alarm_${alarms.map((a) => `${a.level[0]}${a.findingId}`).join("-")}`.slice(0, 200);
      await postSignedJson(options, JSON.stringify({ type: "silta.late_answer", alarms }), messageId, "alarm webhook");
    },
  };
}
