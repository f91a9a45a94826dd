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
    client = await PGlite.create({
      dataDir: target.dataDir,
      // PostgreSQL's buffer pool lives in PGlite's WebAssembly memory, which never shrinks, and
      // initdb sets it to 128 MB. Pages it does not hold are read from the data folder through the
      // OS's page cache. Round-trip bench, 6,000 cases at 40/s: 16 MB took the process from
      // 512/523/541 MB (at 10/50/100 %) to 392/420/422 MB, idle 397 to 277 MB, at the same 37
      // round trips/s.
      startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"],
    });
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
