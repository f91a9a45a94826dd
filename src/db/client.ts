import type { SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema/index.ts";

/** The drizzle database Silta's core uses, whichever driver sits under it (PGlite or postgres.js). */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** A transaction handle, or the database itself: functions that take one work inside or outside a transaction. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0] | Db;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /** Runs raw SQL and returns its rows, smoothing over the drivers' different result shapes. */
  rows<T extends Record<string, unknown>>(query: SQL, tx?: Tx): Promise<T[]>;
  close(): Promise<void>;
}

/** Rows from `db.execute`, which PGlite returns as `{ rows }` and postgres.js as an array. */
export async function executeRows<T extends Record<string, unknown>>(executor: Tx, query: SQL): Promise<T[]> {
  const result: unknown = await executor.execute(query);
  if (Array.isArray(result)) return result as T[];
  if (result && typeof result === "object" && "rows" in result && Array.isArray(result.rows)) return result.rows as T[];
  return [];
}
