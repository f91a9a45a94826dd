import { and, eq, gt, lte } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { consoleSessions } from "../../db/schema/index.ts";
import { sha256Hex } from "../../lib/hash.ts";

/**
 * The console's sessions on the server (the only writer of `console_sessions`). The signed
 * cookie names a session; the session is live only while its row is here and unexpired, so
 * logging out ends it for every copy of the cookie. Ids are stored as their SHA-256.
 */
export interface ConsoleSessionStore {
  /** Records a new session; expired sessions are deleted at the same time (the table's cleanup). */
  start(sessionId: string, fingerprint: string, expiresAt: Date, now: Date): Promise<void>;
  /** Whether the session was started, has not ended and has not expired at `now`. */
  isLive(sessionId: string, now: Date): Promise<boolean>;
  /** Ends the session (logout): its cookie, wherever copied, no longer opens the console. */
  end(sessionId: string): Promise<void>;
}

export function consoleSessionStore(database: Database): ConsoleSessionStore {
  const { db } = database;
  return {
    async start(sessionId, fingerprint, expiresAt, now) {
      // Logins are few (rate-limited per address) and a row lives 8 hours: pruning here keeps the table small.
      await db.delete(consoleSessions).where(lte(consoleSessions.expiresAt, now));
      await db.insert(consoleSessions).values({ idHash: sha256Hex(sessionId), fingerprint, expiresAt });
    },
    async isLive(sessionId, now) {
      const [row] = await db
        .select({ idHash: consoleSessions.idHash })
        .from(consoleSessions)
        .where(and(eq(consoleSessions.idHash, sha256Hex(sessionId)), gt(consoleSessions.expiresAt, now)));
      return row !== undefined;
    },
    async end(sessionId) {
      await db.delete(consoleSessions).where(eq(consoleSessions.idHash, sha256Hex(sessionId)));
    },
  };
}
