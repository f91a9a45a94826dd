import { index, pgTable, text } from "drizzle-orm/pg-core";
import { at, createdAt } from "./columns.ts";

/**
 * The console's live sessions: a session cookie is honoured only while its row is here and has
 * not expired, so logging out (which deletes the row) ends the session on the server too, and a
 * copied cookie stops working with it. Keyed by the SHA-256 of the session's random id, never
 * the id itself. Expired rows are deleted at the next login; a row lives at most the session's
 * 8 hours, so the table holds no more than the logins of the last hours.
 */
export const consoleSessions = pgTable(
  "console_sessions",
  {
    /** SHA-256 (hex) of the session id carried in the signed cookie. */
    idHash: text("id_hash").primaryKey(),
    /** Fingerprint of the admin token that logged in (`admin:<fingerprint>` in audit rows). */
    fingerprint: text("fingerprint").notNull(),
    createdAt: createdAt(),
    expiresAt: at("expires_at").notNull(),
  },
  (t) => [index("console_sessions_expires_idx").on(t.expiresAt)],
);
