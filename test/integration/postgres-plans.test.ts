import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tx } from "../../src/db/client.ts";
import type { TestDatabase } from "../support/database.ts";
import { createServerDatabase } from "./reliability-support.ts";

// Prepared statements on the server keep a generic plan made from the table sizes of their sixth
// run; with autovacuum off nothing replaces it (src/db/open-postgres.ts).
let database: TestDatabase;
beforeAll(async () => {
  database = await createServerDatabase();
});
afterAll(async () => database?.dispose());

describe("query plans on the server", () => {
  it("Silta's connections plan every run of a prepared statement", async () => {
    const [row] = await database.rows<{ plan_cache_mode: string }>(sql`show plan_cache_mode`);
    expect(row?.plan_cache_mode).toBe("force_custom_plan");
  });

  it("a batch update prepared on a small table reads the grown table through its index", async () => {
    // The shape of the inbox-outcome and field-status updates: a join with jsonb_to_recordset.
    // Their generic plan, made while the table is small, is a hash join over a seq scan.
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`create table plan_probe (id bigint primary key, state text not null, pad text)`);
      await tx.execute(sql`insert into plan_probe select i, 'pending', repeat('x', 200) from generate_series(1, 50) as i`);
      const settle = (id: number) =>
        tx.execute(sql`update plan_probe set state = v.state
          from jsonb_to_recordset(${JSON.stringify([{ id, state: "applied" }])}::jsonb) as v(id bigint, state text)
          where plan_probe.id = v.id`);
      for (let i = 1; i <= 8; i++) await settle(i);
      await tx.execute(sql`insert into plan_probe select i, 'pending', repeat('x', 200) from generate_series(51, 40000) as i`);
      const before = await scansOf(tx);
      await settle(30_000);
      const after = await scansOf(tx);
      expect({ seq: after.seq - before.seq, idx: after.idx - before.idx }).toEqual({ seq: 0, idx: 1 });
    });
  });
});

/** Scans of the probe table in this transaction so far. */
async function scansOf(tx: Tx): Promise<{ seq: number; idx: number }> {
  const [row] = await database.rows<{ seq: number; idx: number }>(
    sql`select coalesce(seq_scan, 0)::int as seq, coalesce(idx_scan, 0)::int as idx from pg_stat_xact_user_tables where relname = 'plan_probe'`,
    tx,
  );
  return { seq: row?.seq ?? 0, idx: row?.idx ?? 0 };
}
