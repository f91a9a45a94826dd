import { DrizzleQueryError } from "drizzle-orm/errors";
import { SiltaError } from "../kernel/errors.ts";
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

/**
 * Whether an error came out of a database call: drizzle's wrapper of a failed query (whose cause
 * is the driver's error, a connection failure included), or a driver's own error (postgres.js's
 * PostgresError, PGlite's error with PostgreSQL's severity and SQLSTATE).
 */
export function isDatabaseError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; depth < MAX_DEPTH && current && typeof current === "object" && !seen.has(current); depth += 1) {
    seen.add(current);
    if (current instanceof DrizzleQueryError) return true;
    const { name, code, severity } = current as { name?: unknown; code?: unknown; severity?: unknown };
    if (name === "PostgresError") return true;
    if (typeof severity === "string" && typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Where a person sets the database the command line uses. */
const WHERE = "DATABASE_URL (or --db)";

/**
 * What to do about a database error, for a person at the command line: the common cases
 * (no such database, no server, wrong credentials, missing rights or tables), or null.
 */
export function databaseErrorHint(description: DatabaseErrorDescription): string | null {
  const { code, message } = description;
  if (code === null) return null;
  switch (code) {
    case "3D000": {
      const name = /database "([^"]+)" does not exist/.exec(message)?.[1];
      return `the database does not exist: create it (${name ? `createdb ${name}, or CREATE DATABASE ${name}` : "CREATE DATABASE"} as a role that may), or fix the database name in ${WHERE}`;
    }
    case "ECONNREFUSED": {
      const at = /ECONNREFUSED\s+(\S+)/.exec(message)?.[1];
      return `nothing accepts connections at ${at ?? "that host and port"}: is the PostgreSQL server running there? Start it, or fix the host and port in ${WHERE}`;
    }
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the server's host name does not resolve: fix the host in ${WHERE}`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "CONNECT_TIMEOUT":
      return `no answer from the server: check that it runs, the host and port in ${WHERE}, and any firewall between`;
    case "28P01":
      return `authentication failed: check the user name and password in ${WHERE}`;
    case "28000":
      return `the server does not let this user in (no such role, or pg_hba.conf refuses it): check the user in ${WHERE}, or create the role`;
    case "42501":
      return "permission denied: this role may not do that. Run `silta migrate` (and other schema changes) as the owner of Silta's tables (SILTA_MIGRATION_DATABASE_URL), and give the application role its rights with `silta db grant-app-role <role>`";
    case "42P01":
    case "3F000":
      return `Silta's tables are not in this database: run \`silta migrate\` as the owner of Silta's tables, or point ${WHERE} at Silta's database`;
    case "53300":
      return "the server has no free connection: try again, or raise its max_connections";
    case "57P03":
      return "the server is starting up or shutting down: try again in a moment";
    default:
      if (code.startsWith("08")) return `the connection to the server failed: check that it runs and ${WHERE}`;
      return null;
  }
}

/**
 * A failure's reason fit for logs, `poll_cursors`, job rows and the console: the error code and
 * its short message, or the database's SQLSTATE and message. An `internal` SiltaError wraps what
 * was thrown (most often the database's error, whose drizzle message repeats the query and its
 * parameters), so its cause is described instead. Never a query's parameters, never an answer's
 * whole body.
 */
export function describeFailure(error: unknown): string {
  const wrapped = error instanceof SiltaError && error.code === "internal" && error.cause !== undefined;
  if (error instanceof SiltaError && !wrapped) return `${error.code}: ${error.message}`.slice(0, 300);
  const database = describeDatabaseError(wrapped ? (error as SiltaError).cause : error);
  if (database.code !== null) return `database ${database.code}: ${database.message}`.slice(0, 300);
  return database.message.slice(0, 300);
}
