import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** A message a loopback SMTP server took: its raw text with headers unfolded, and its recipients. */
export interface ReceivedMail {
  raw: string;
  to: string;
}

/** A real SMTP server on loopback for tests (smtp-server), keeping every message it takes. */
export async function startTestSmtp(): Promise<{ url: string; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
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
        // Headers unfolded: a long subject continues on indented lines.
        mails.push({ raw: raw.replace(/\r?\n[ \t]+/g, " "), to: session.envelope.rcptTo.map((r) => r.address).join(",") });
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
