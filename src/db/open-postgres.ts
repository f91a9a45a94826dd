import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type Database, type Db, executeRows } from "./client.ts";
import * as schema from "./schema/index.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

const PREPARE_MAX_PARAMETERS = 32;
/** Long statement texts prepared once seen twice, at most this many per client. */
const PREPARE_LONG_TEXTS = 200;

/**
 * drizzle runs every query unnamed (`prepare: false`), and postgres.js then sends each statement
 * that has parameters in two round trips: parse and describe, wait for the parameter types, then
 * bind and execute. Prepared, a statement is described once per connection and every later run
 * is one write and one round trip: socket writes to PostgreSQL were a quarter of Silta's CPU.
 * Statements with few parameters are prepared at once: their texts repeat (the per-job queries).
 * A longer one (the create outcome has 38 parameters) is prepared once its text has been seen
 * before, while multi-row inserts and lists, whose text changes with every batch size, mostly
 * stay one-off: at most PREPARE_LONG_TEXTS long texts are ever prepared, so postgres.js's
 * per-connection cache (and the server's) cannot fill with them.
 */
function preparedByDefault<T extends Sql>(sql: T, long = { prepared: new Set<string>(), seenOnce: new Set<string>() }): T {
  /** Whether to prepare `query`: short parameter lists always, a long one from its second run. */
  const prepare = (query: string, parameters: number): boolean => {
    if (parameters <= PREPARE_MAX_PARAMETERS || long.prepared.has(query)) return true;
    if (long.seenOnce.has(query) && long.prepared.size < PREPARE_LONG_TEXTS) {
      long.prepared.add(query);
      return true;
    }
    // One-off texts are forgotten in bulk: a batch-size variant seen again later is merely late.
    if (long.seenOnce.size >= PREPARE_LONG_TEXTS * 5) long.seenOnce.clear();
    long.seenOnce.add(query);
    return false;
  };
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === "unsafe")
        return (query: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, params as postgres.ParameterOrJSON<never>[], {
            ...options,
            prepare: prepare(query, params?.length ?? 0),
          });
      if (prop === "begin" || prop === "savepoint")
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const method = Reflect.get(target, prop) as (...a: unknown[]) => unknown;
          return method.call(target, ...args, (tx: postgres.TransactionSql) => fn(preparedByDefault(tx, long)));
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
    // A prepared statement's generic plan is made once, from the table sizes of its sixth run,
    // and kept until an ANALYZE invalidates it. On a young database, or a server with autovacuum
    // off (this project's machines), that plan is a sequential scan forever: in a long bench run
    // the inbox-outcome and field-status updates (joins with jsonb_to_recordset) read whole tables on every call, and
    // throughput fell with each 10,000 cases. Planned per run, statements follow the tables;
    // they still skip the parse and the describe round trip.
    connection: { plan_cache_mode: "force_custom_plan" },
  });
  const db = drizzle(options.preparedStatements === false ? client : preparedByDefault(client), { schema }) as unknown as Db;
  return { db, kind: "postgres", rows: (query, tx) => executeRows(tx ?? db, query), close: () => client.end({ timeout: 5 }) };
}
