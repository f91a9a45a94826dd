import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type Database, type Db, executeRows } from "./client.ts";
import * as schema from "./schema/index.ts";

export type DatabaseTarget =
  /** A PostgreSQL server (postgres.js). */
  | { url: string }
  /** Embedded PGlite in a data folder on disk (created when missing). */
  | { dataDir: string }
  /** Embedded PGlite in memory, optionally booted from a dumped data folder (tests). */
  | { memory: true; loadDataDir?: Blob | File };

/** `postgres://…` selects a server; anything else is a PGlite data folder. */
export function parseDatabaseTarget(value: string): DatabaseTarget {
  return /^postgres(ql)?:\/\//.test(value) ? { url: value } : { dataDir: value };
}

/** Opens Silta's database on Node: PGlite by default, a PostgreSQL server when given a URL. */
export async function openDatabase(target: DatabaseTarget, options: { maxConnections?: number } = {}): Promise<Database> {
  if ("url" in target) {
    const client = postgres(target.url, {
      max: options.maxConnections ?? 10,
      onnotice: () => {},
      // Dropped connections are replaced on the next query; a short idle timeout frees them after a server restart.
      idle_timeout: 30,
      connect_timeout: 10,
    });
    const db = drizzlePostgres(client, { schema }) as unknown as Db;
    return {
      db,
      kind: "postgres",
      rows: (query, tx) => executeRows(tx ?? db, query),
      close: () => client.end({ timeout: 5 }),
    };
  }
  let client: PGlite;
  if ("dataDir" in target) {
    mkdirSync(target.dataDir, { recursive: true });
    client = await PGlite.create({ dataDir: target.dataDir });
  } else {
    client = await PGlite.create(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {});
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    rows: (query, tx) => executeRows(tx ?? db, query),
    close: () => client.close(),
  };
}
