import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { createCoalescerPerOwner } from "../../lib/coalesce.ts";

/**
 * How long a shared outcome transaction waits for a lock before giving up. Outcomes committed
 * together hold each other's row locks until the shared commit, so two such groups (or a group
 * and a field-event batch) can wait on each other where lone statements never could. A group
 * that waits this long fails, and its outcomes commit again one by one (coalesce.ts), as they
 * did before they were grouped: a deadlock costs this long, not PostgreSQL's one-second check.
 */
const GROUP_LOCK_TIMEOUT = "200ms";

/**
 * Job outcomes (each one statement: the job finishes, its link and ledger move) committed
 * together: the outcomes that arrive while one commit runs share the next transaction, so one
 * commit serves many jobs under load, and a lone outcome commits at once as before. Issue 23:
 * the create and the write-back outcome were two of a round trip's commits.
 */
async function commitTogether(database: Database, statements: SQL[]): Promise<Record<string, unknown>[][]> {
  const [only] = statements;
  if (statements.length === 1 && only) return [await database.rows(only)];
  return database.db.transaction(async (tx) => {
    await database.rows(sql.raw(`set local lock_timeout = '${GROUP_LOCK_TIMEOUT}'`), tx);
    // Issued together: postgres.js pipelines them on the transaction's connection.
    return Promise.all(statements.map((statement) => database.rows(statement, tx)));
  });
}

const commitGrouped = createCoalescerPerOwner(commitTogether, 50);

/** Runs one outcome statement, committed with whatever other outcomes are waiting; returns its rows. */
export async function commitOutcome<T extends Record<string, unknown>>(database: Database, statement: SQL): Promise<T[]> {
  return (await commitGrouped(database, statement)) as T[];
}
