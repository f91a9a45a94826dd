import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** One message the loopback SMTP server took. */
export interface LoopbackMail {
  to: string;
  /** The whole message, headers unfolded (a long header continues on indented lines). */
  raw: string;
  subject: string;
  /** Its work-order reference header, when it is a fallback work order. */
  reference: string | null;
}

/**
 * A real SMTP server on loopback that keeps what it is sent: the sandbox's duty desk and ops
 * inbox, and the tests' mail server.
 */
export async function startLoopbackSmtp(): Promise<{ url: string; mails: LoopbackMail[]; close(): Promise<void> }> {
  const mails: LoopbackMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk) => {
        raw += chunk;
      });
      stream.on("end", () => {
        const unfolded = raw.replace(/\r?\n[ \t]+/g, " ");
        const headers = unfolded.split(/\r?\n\r?\n/)[0] ?? "";
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(","),
          raw: unfolded,
          subject: /^Subject: (.+)$/im.exec(headers)?.[1]?.trim() ?? "",
          reference: /^X-Silta-Reference: (.+)$/im.exec(headers)?.[1]?.trim() ?? null,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
