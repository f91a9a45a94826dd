import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { sql } from "drizzle-orm";
import type { CommandSettings } from "../config/config.ts";
import type { Database } from "../db/client.ts";
import { openDatabase, parseDatabaseTarget } from "../db/open-node.ts";
import { SANDBOX_DATA_DIR } from "../sandbox/info.ts";

/** A command that cannot run as asked (what is missing, and what to do): exit status 2, no stack. */
export class CommandSetupError extends Error {
  override name = "CommandSetupError";
}

export interface CommandDatabase {
  database: Database;
  /** Where it is, for messages (a URL without its password, or the PGlite folder). */
  label: string;
}

/** A postgres:// URL without its password, or the folder as given. */
export function databaseLabel(value: string): string {
  return value.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*):[^@\s]*@/i, "$1:***@");
}

/** A PGlite data folder that has been initialised (opening one that is not would create it). */
function isPgliteFolder(dir: string): boolean {
  return existsSync(join(dir, "PG_VERSION"));
}

async function holdsSiltaTables(database: Database): Promise<boolean> {
  const [row] = await database.rows<{ found: boolean }>(sql`select to_regclass('public.cases') is not null as found`);
  return row?.found === true;
}

/**
 * The database a maintenance command (`ledger check`, `reconcile`) reads: `--db`, else
 * DATABASE_URL, else the PGlite folder SILTA_DATA_DIR (default .silta/data). With none of them
 * set and no Silta data in the default folder, the sandbox's PGlite folder (.silta/sandbox) when
 * there is one, said on `say`; with neither, a message that says where the sandbox keeps its
 * database and how to point at it. Never creates a database.
 */
export async function openCommandDatabase(options: {
  db: string | undefined;
  settings: CommandSettings;
  say: (line: string) => void;
}): Promise<CommandDatabase> {
  if (options.db) return openGiven(options.db);
  const configured = options.settings.database;
  if ("url" in configured) return openGiven(configured.url);
  const dataDir = configured.dataDir;
  if (isPgliteFolder(dataDir)) {
    const database = await openDatabase({ dataDir });
    if (options.settings.databaseUnset === false || (await holdsSiltaTables(database))) return { database, label: dataDir };
    await database.close();
  } else if (!options.settings.databaseUnset) {
    throw new CommandSetupError(
      `SILTA_DATA_DIR=${dataDir} holds no database: point it (or --db, or DATABASE_URL) at Silta's database`,
    );
  }
  const sandboxDir = SANDBOX_DATA_DIR;
  if (resolve(sandboxDir) !== resolve(dataDir) && isPgliteFolder(sandboxDir)) {
    // PGlite keeps this file while a process has the folder open; two processes on one folder corrupt it.
    if (existsSync(join(sandboxDir, "postmaster.pid"))) {
      throw new CommandSetupError(
        `no Silta database in ${dataDir}; the sandbox's, ${sandboxDir}, is open in another process (a running sandbox, or one that did not stop cleanly): PGlite serves one process at a time. Stop the sandbox first (Ctrl-C), or pass --db ${sandboxDir} if none runs`,
      );
    }
    options.say(
      `silta: no Silta database in ${dataDir} (DATABASE_URL and SILTA_DATA_DIR are unset); using the sandbox's, ${sandboxDir} (pass --db to choose another)`,
    );
    return { database: await openDatabase({ dataDir: sandboxDir }), label: sandboxDir };
  }
  throw new CommandSetupError(
    `no Silta database found: ${dataDir} (the default) holds none and DATABASE_URL is unset. Pass --db <postgres://… or a PGlite folder>, or set DATABASE_URL. The sandbox keeps its database in ${sandboxDir} (there is none now), or where its --db said: pass the same --db here`,
  );
}

async function openGiven(value: string): Promise<CommandDatabase> {
  const target = parseDatabaseTarget(value);
  if ("dataDir" in target && !isPgliteFolder(target.dataDir)) {
    throw new CommandSetupError(
      `${value} is not a database folder (no PGlite data there): give Silta's PGlite folder or a postgres:// URL`,
    );
  }
  return { database: await openDatabase(target), label: databaseLabel(value) };
}
