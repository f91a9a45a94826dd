import { DrizzleQueryError } from "drizzle-orm/errors";
import { cutText } from "../lib/failure-reason.ts";

/**
 * What went wrong in a database call, fit to log and store: the driver's error code and message.
 *
 * drizzle wraps a driver's error in a DrizzleQueryError whose message is
 * `Failed query: <sql>\nparams: <params>`, and the parameters can carry citizens' personal data
 * (names, e-mails, feedback texts), so that message is never used: the cause chain is followed to
 * the driver's own error. postgres.js and PGlite errors carry PostgreSQL's SQLSTATE as `code`
 * (`22P05`, `23505`, …); a network error carries Node's (`ECONNREFUSED`). Other properties of
 * driver errors (`query`, `params`, `parameters`, `detail`) are never read.
 *
 * Pure, no `node:` imports: the Worker uses it too.
 */

export interface DatabaseErrorDescription {
  /** SQLSTATE (`22P05`), a driver's code (`CONNECT_TIMEOUT`) or a network one (`ECONNREFUSED`); null when none. */
  code: string | null;
  /** The driver's message, one line of at most `DATABASE_ERROR_MESSAGE_CHARS` characters. */
  message: string;
}

export const DATABASE_ERROR_MESSAGE_CHARS = 200;

/** How far a cause chain is followed (a chain could loop). */
const MAX_DEPTH = 10;

/** The code and message of a database error, never the query's parameters. */
export function describeDatabaseError(error: unknown): DatabaseErrorDescription {
  let firstMessage: string | null = null;
  let wrappedQuery = false;
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; depth < MAX_DEPTH && current !== null && current !== undefined && !seen.has(current); depth += 1) {
    seen.add(current);
    if (typeof current !== "object") {
      firstMessage ??= readable(String(current));
      break;
    }
    if (isQueryWrapper(current)) {
      wrappedQuery = true;
    } else {
      const code = codeOf(current);
      const message = messageOf(current);
      if (code !== null) return { code, message: safeMessage(message, code) || "database error" };
      if (message) firstMessage ??= safeMessage(message, null);
    }
    current = (current as { cause?: unknown }).cause;
  }
  if (firstMessage) return { code: null, message: firstMessage };
  return { code: null, message: wrappedQuery ? "query failed" : "database error" };
}

/**
 * drizzle's wrapper, or anything else whose message repeats a failed query with its parameters
 * (a SiltaError made from a DrizzleQueryError's message, for one).
 */
function isQueryWrapper(error: object): boolean {
  if (error instanceof DrizzleQueryError) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === "string" && (message.startsWith("Failed query:") || /\nparams:/.test(message));
}

function codeOf(error: object): string | null {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : null;
}

function messageOf(error: object): string {
  const message = (error as { message?: unknown }).message;
  if (typeof message === "string" && message.trim() !== "") return message;
  // Node's AggregateError of a dual-stack connect has an empty message and one error per address.
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      if (inner && typeof inner === "object" && !isQueryWrapper(inner)) {
        const text = (inner as { message?: unknown }).message;
        if (typeof text === "string" && text.trim() !== "") return text;
      }
    }
  }
  return "";
}

/**
 * The message made safe to keep: one line, no control characters, no password from a
 * connection string, and for data exceptions (SQLSTATE class 22, such as `invalid input syntax
 * for type integer: "…"`) no quoted value, which would be a piece of the data (an encoding's
 * name stays).
 */
function safeMessage(message: string, code: string | null): string {
  let text = message.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*):[^@\s]*@/gi, "$1:***@");
  if (code !== null && /^22[0-9A-Z]{3}$/.test(code)) {
    text = text.replace(/(encoding )?"[^"]*"/g, (quoted, encoding?: string) => (encoding ? quoted : '"…"'));
  }
  return readable(text);
}

function readable(text: string): string {
  const line = text
    .replace(/[\t\n\v\f\r]/g, " ")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return cutText(line.isWellFormed() ? line : line.toWellFormed(), DATABASE_ERROR_MESSAGE_CHARS);
}
