import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type Database, type Db, executeRows } from "./client.ts";
import * as schema from "./schema/index.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

/**
 * drizzle runs every query unnamed (`prepare: false`), and postgres.js then sends each statement
 * that has parameters in two round trips: parse and describe, wait for the parameter types, then
 * bind and execute. Prepared, a statement is described once per connection and every later run
 * is one write and one round trip: socket writes to PostgreSQL were a quarter of Silta's CPU.
 * Statement texts are bounded (lists and multi-row inserts vary only with batch sizes), and
 * postgres.js replaces its connections within the hour (`max_lifetime`), so the caches stay small.
 */
function preparedByDefault<T extends Sql>(sql: T): T {
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === "unsafe")
        return (query: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, params as postgres.ParameterOrJSON<never>[], { ...options, prepare: true });
      if (prop === "begin" || prop === "savepoint")
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const method = Reflect.get(target, prop) as (...a: unknown[]) => unknown;
          return method.call(target, ...args, (tx: postgres.TransactionSql) => fn(preparedByDefault(tx)));
        };
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Opens a PostgreSQL server through postgres.js. Portable: the Worker (Hyperdrive) uses it too. */
export function openPostgres(url: string, options: { maxConnections?: number; preparedStatements?: boolean } = {}): Database {
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    // Dropped connections are replaced on the next query; a short idle timeout frees them after a server restart.
    idle_timeout: 30,
    connect_timeout: 10,
  });
  const db = drizzle(options.preparedStatements === false ? client : preparedByDefault(client), { schema }) as unknown as Db;
  return { db, kind: "postgres", rows: (query, tx) => executeRows(tx ?? db, query), close: () => client.end({ timeout: 5 }) };
}
