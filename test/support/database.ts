import { readFileSync } from "node:fs";
import postgres from "postgres";
import type { Database } from "../../src/db/client.ts";
import { migrateDatabase } from "../../src/db/migrate-node.ts";
import { openDatabase } from "../../src/db/open-node.ts";
import { withDatabase } from "./global-setup.ts";
import { PG_TEMPLATE_DATABASE, PGLITE_TEMPLATE_PATH } from "./paths.ts";

export interface TestDatabase extends Database {
  /** Closes the connection and, on a server, drops the database. */
  dispose(): Promise<void>;
  /** On a server: the database's postgres:// URL (for a runtime in another process, such as workerd). */
  url?: string;
}

/**
 * A fresh, migrated database for one test file: on the PostgreSQL server named by DATABASE_URL
 * when it is set (a copy of the migrated template), else an in-memory PGlite booted from the
 * migrated dump. Both are real PostgreSQL.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const dump = new Blob([readFileSync(PGLITE_TEMPLATE_PATH)]);
    const database = await openDatabase({ memory: true, loadDataDir: dump });
    return { ...database, dispose: () => database.close() };
  }
  return createServerDatabase(url, { template: PG_TEMPLATE_DATABASE });
}

/**
 * A fresh database on the server at `url`, dropped on dispose: copied from a migrated template
 * when one is given, else created empty and migrated here.
 */
export async function createServerDatabase(url: string, options: { template?: string } = {}): Promise<TestDatabase> {
  const name = `silta_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(options.template ? `create database ${name} template ${options.template}` : `create database ${name}`);
  await admin.end();
  const database = await openDatabase({ url: withDatabase(url, name) });
  if (!options.template) await migrateDatabase(database);
  return {
    ...database,
    url: withDatabase(url, name),
    dispose: async () => {
      await database.close();
      const cleanup = postgres(url, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

export function usingServer(): boolean {
  return Boolean(process.env.DATABASE_URL);
}
