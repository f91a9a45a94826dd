import nodemailer from "nodemailer";
import type { AlertChannel, AlertNotice } from "../../src/ports/alert-channel.ts";

/**
 * Alerts by e-mail through a real SMTP client (nodemailer): one plain, readable message per
 * evaluation with every alert raised or recovered, the subject naming the most severe. Node only.
 */
export function createEmailAlertChannel(options: {
  smtpUrl: string;
  from: string;
  to: readonly string[];
  consoleUrl?: string;
}): AlertChannel {
  const transport = nodemailer.createTransport(options.smtpUrl);
  return {
    name: "email",
    async send(notices: readonly AlertNotice[]) {
      if (notices.length === 0) return;
      const raised = notices.filter((n) => n.event === "raised");
      const worst = raised.find((n) => n.level === "critical") ?? raised[0] ?? notices[0];
      const subject =
        raised.length > 0
          ? `[Silta ${worst?.level}] ${worst?.message.slice(0, 120)}${notices.length > 1 ? ` (+${notices.length - 1} more)` : ""}`
          : `[Silta recovered] ${notices
              .map((n) => n.key)
              .join(", ")
              .slice(0, 150)}`;
      const lines = notices.map(
        (n) => `${n.event === "raised" ? `RAISED (${n.level})` : "RECOVERED"}  ${n.at}  ${n.key}\n  ${n.message}`,
      );
      await transport.sendMail({
        from: options.from,
        to: [...options.to],
        subject,
        text: `${lines.join("\n\n")}\n\n${options.consoleUrl ? `Alerts in the console: ${options.consoleUrl}/admin/alerts\n` : ""}`,
      });
    },
  };
}
