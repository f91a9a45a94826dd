import pino from "pino";
import type { Logger } from "../domain/deps.ts";

/**
 * JSON log lines on stderr (stdout stays free for command output such as `--json` summaries).
 * Fields are ids, codes and timings; redact paths guard against a stray secret or contact field.
 * `destination` replaces stderr (the security suite captures every line to scan it).
 */
export function createNodeLogger(
  level: "debug" | "info" | "warn" | "error" | "silent",
  destination: pino.DestinationStream = pino.destination(2),
): Logger {
  return pino(
    {
      level,
      base: { service: "silta" },
      redact: {
        paths: ["*.authorization", "*.token", "*.apiKey", "*.secret", "*.email", "*.phone", "*.reporter"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
