import postgres from "postgres";
import { createServerDatabase as createDatabaseOnServer, createTestDatabase, type TestDatabase } from "../support/database.ts";

/** The machine's and CI's PostgreSQL service, used for concurrency tests when DATABASE_URL is unset. */
export const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";

/** DATABASE_URL, else the default server when it answers; null when there is no server at all. */
export async function findServerUrl(): Promise<string | null> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const probe = postgres(DEFAULT_SERVER_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
    return DEFAULT_SERVER_URL;
  } catch {
    return null;
  } finally {
    await probe.end({ timeout: 1 });
  }
}

/**
 * A fresh migrated database on a real PostgreSQL server, for tests that need real concurrency
 * (PGlite serialises everything). With DATABASE_URL the suite's template is copied; otherwise a
 * database is created and migrated on the default server.
 */
export async function createServerDatabase(): Promise<TestDatabase> {
  if (process.env.DATABASE_URL) return createTestDatabase();
  const url = await findServerUrl();
  if (!url) throw new Error(`concurrency tests need PostgreSQL: set DATABASE_URL or run the server at ${DEFAULT_SERVER_URL}`);
  return createDatabaseOnServer(url);
}
