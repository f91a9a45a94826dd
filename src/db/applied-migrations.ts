import { sql } from "drizzle-orm";
import type { Database } from "./client.ts";

/** How many migrations the database has applied (drizzle's own journal table); /readyz compares it with the build's. */
export async function countAppliedMigrations(database: Database): Promise<number> {
  const [row] = await database.rows<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return Number(row?.n ?? 0);
}
