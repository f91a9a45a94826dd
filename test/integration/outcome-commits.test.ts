import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitOutcome } from "../../src/domain/jobs/outcome-commits.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.rows(sql`create table outcome_probe (n int primary key, tx text not null)`);
});
afterAll(async () => database?.dispose());

const insert = (n: number, value = sql`${n}`) =>
  commitOutcome<{ n: number; tx: string }>(
    database,
    sql`insert into outcome_probe (n, tx) values (${value}, txid_current()::text) returning n, tx`,
  );

describe("job outcomes committed together", () => {
  it("commits the outcomes that wait during a commit in one shared transaction", async () => {
    const answers = await Promise.all([1, 2, 3, 4].map((n) => insert(n)));
    expect(answers.map((rows) => rows[0]?.n)).toEqual([1, 2, 3, 4]);
    const txs = answers.map((rows) => rows[0]?.tx);
    // The first commits alone at once; the three that waited for it share the next transaction.
    expect(new Set(txs.slice(1)).size).toBe(1);
    expect(txs[0]).not.toBe(txs[1]);
  });

  it("fails only the outcome that fails: the others of its group commit on their own", async () => {
    const answers = await Promise.allSettled([insert(10), insert(11), insert(12, sql`1 / 0`), insert(13)]);
    expect(answers.map((a) => a.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const rows = await database.rows<{ n: number }>(sql`select n from outcome_probe where n >= 10 order by n`);
    expect(rows.map((r) => Number(r.n))).toEqual([10, 11, 13]);
  });
});
