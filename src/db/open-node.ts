import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { type Database, type Db, executeRows } from "./client.ts";
import { openPostgres } from "./open-postgres.ts";
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
  if ("url" in target) return openPostgres(target.url, options);
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
