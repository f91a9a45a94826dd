import nodemailer from "nodemailer";
import type { FallbackMailer } from "../../src/ports/fallback-mailer.ts";

/**
 * The fallback channel: a plain, readable work order by e-mail, with the same allowlisted fields
 * as the target's API would carry and the work order's reference in the subject and Reply-To
 * (`<from local part>+<reference>@domain`), so a reply is recognisable and the contractor can
 * key the order in under the same reference: Silta looks it up before creating it once the
 * target is back.
 */
export function createFallbackMailer(options: { smtpUrl: string; from: string }): FallbackMailer {
  const transport = nodemailer.createTransport(options.smtpUrl);
  const [local, domain] = options.from.split("@");
  return {
    async sendWorkOrder({ to, targetName, payload }) {
      const fields: [string, unknown][] = [
        ["Reference (use it when you enter the order)", payload.externalRef],
        ["Case", payload.serviceRequestId],
        ["Service", payload.serviceName ? `${payload.serviceName} (${payload.serviceCode})` : payload.serviceCode],
        ["Title", payload.title],
        ["Description", payload.description],
        ["Address", payload.address],
        [
          "Location",
          typeof payload.lat === "number" && typeof payload.long === "number" ? `${payload.lat}, ${payload.long}` : null,
        ],
        ["Photos", payload.mediaUrls?.length ? payload.mediaUrls.join("\n  ") : null],
        ["Reported", payload.requestedAt],
        ["Due", payload.dueAt],
        ["Rework of", payload.previousExternalRef],
      ];
      const text = [
        `A work order for ${targetName}, sent by e-mail because your system could not be reached.`,
        "",
        ...fields
          .filter(([, value]) => value !== null && value !== undefined && value !== "")
          .map(([name, value]) => `${name}: ${value}`),
        "",
        "When your system is back, Silta sends this order there too; it looks the reference up first, so an order you entered yourself is not created twice.",
      ].join("\n");
      const info = await transport.sendMail({
        from: options.from,
        to,
        replyTo: local && domain ? `${local}+${payload.externalRef.replace(/[^A-Za-z0-9._-]/g, "_")}@${domain}` : options.from,
        subject: `Work order ${payload.externalRef}: ${payload.serviceName ?? payload.serviceCode}`,
        text,
        headers: { "X-Silta-Reference": payload.externalRef },
      });
      return { messageId: String(info.messageId ?? "") };
    },
  };
}
