import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type Database, type Db, executeRows } from "./client.ts";
import * as schema from "./schema/index.ts";

/** Opens a PostgreSQL server through postgres.js. Portable: the Worker (Hyperdrive) uses it too. */
export function openPostgres(url: string, options: { maxConnections?: number } = {}): Database {
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    // Dropped connections are replaced on the next query; a short idle timeout frees them after a server restart.
    idle_timeout: 30,
    connect_timeout: 10,
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, kind: "postgres", rows: (query, tx) => executeRows(tx ?? db, query), close: () => client.end({ timeout: 5 }) };
}
