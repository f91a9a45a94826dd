import { sql } from "drizzle-orm";
import type { Database } from "../../../src/db/client.ts";

/** Per table of Silta's schema: its row count and a hash of every row, so any insert, update or delete shows. */
export type DatabaseFingerprint = Record<string, { rows: number; hash: string }>;

/** Fingerprints every table of the current schema (the migrations' bookkeeping lives elsewhere). */
export async function fingerprintDatabase(database: Database): Promise<DatabaseFingerprint> {
  const tables = await database.rows<{ name: string }>(
    sql`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
  );
  const fingerprint: DatabaseFingerprint = {};
  for (const { name } of tables) {
    const [row] = await database.rows<{ rows: number; hash: string }>(
      sql`select count(*)::int as rows, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as hash
          from ${sql.identifier(name)} t`,
    );
    fingerprint[name] = { rows: row?.rows ?? 0, hash: row?.hash ?? "" };
  }
  return fingerprint;
}

/** The tables whose fingerprint differs, with their row counts before and after. */
export function changedTables(before: DatabaseFingerprint, after: DatabaseFingerprint): string[] {
  return Object.keys({ ...before, ...after })
    .filter((name) => before[name]?.hash !== after[name]?.hash)
    .map((name) => `${name}: ${before[name]?.rows ?? 0} → ${after[name]?.rows ?? 0} rows`);
}
