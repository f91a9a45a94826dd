import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import type { SandboxMail } from "./sandbox.ts";

/** A real SMTP server on loopback that keeps what it is sent (the sandbox's duty desk and ops inbox). */
export async function startLoopbackSmtp(mailbox: SandboxMail[]): Promise<{ port: number; close(): Promise<void> }> {
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
        const headers = raw.split(/\r?\n\r?\n/)[0]?.replace(/\r?\n[ \t]+/g, " ") ?? "";
        mailbox.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(","),
          reference: /^X-Silta-Reference: (.+)$/im.exec(headers)?.[1]?.trim() ?? null,
          subject: /^Subject: (.+)$/im.exec(headers)?.[1]?.trim() ?? "",
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
