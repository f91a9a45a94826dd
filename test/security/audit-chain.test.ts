import { asc, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "../../src/db/schema/index.ts";
import { writeAudit } from "../../src/domain/admin/audit.ts";
import { parseAuditAnchor, verifyAuditChain } from "../../src/domain/admin/audit-verify.ts";
import { canonicalJson, sha256Hex } from "../../src/lib/hash.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());

/** A fresh chain of `n` rows (the table is emptied by its owner, as an attacker with owner rights would). */
async function freshChain(n: number): Promise<(typeof auditEvents.$inferSelect)[]> {
  await tamper(sql`delete from audit_events`);
  for (let i = 1; i <= n; i++) {
    await database.db.transaction((tx) =>
      writeAudit(tx, { actor: "admin:ab12", action: "job.retry", subject: `job:${i}`, detail: { jobId: i }, result: "ok" }),
    );
  }
  return database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
}

/** What only the table's owner can do: switch the append-only trigger off, change rows, switch it on. */
async function tamper(statement: ReturnType<typeof sql>): Promise<void> {
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
    await tx.execute(statement);
    await tx.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
  });
}

describe("audit chain (S7)", () => {
  it("numbers rows 1, 2, 3 … and verifies an untouched chain, printing its head", async () => {
    const rows = await freshChain(5);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    const result = await verifyAuditChain(database, {}, 2);
    expect(result).toMatchObject({ ok: true, rows: 5, problem: null, head: { seq: 5, hash: rows[4]?.hash } });
  });

  it("refuses UPDATE, DELETE and TRUNCATE for every role, the owner included", async () => {
    await freshChain(2);
    await expect(database.db.execute(sql`update audit_events set result = 'changed'`)).rejects.toThrow();
    await expect(database.db.execute(sql`delete from audit_events where seq = 2`)).rejects.toThrow();
    await expect(database.db.execute(sql`truncate audit_events`)).rejects.toThrow();
    expect((await verifyAuditChain(database)).rows).toBe(2);
  });

  it("names the first edited row", async () => {
    const rows = await freshChain(5);
    await tamper(sql`update audit_events set result = 'refused' where seq = 3`);
    await tamper(sql`update audit_events set detail = '{"jobId": 99}' where seq = 4`);
    const result = await verifyAuditChain(database);
    expect(result.problem).toMatchObject({ kind: "edited", rowId: rows[2]?.id, seq: 3 });
    expect(result.problem?.message).toContain(`row id ${rows[2]?.id}`);
  });

  it("catches an edited time", async () => {
    await freshChain(3);
    await tamper(sql`update audit_events set at = at - interval '1 day' where seq = 2`);
    expect((await verifyAuditChain(database)).problem).toMatchObject({ kind: "edited", seq: 2 });
  });

  it("names a deleted row in the middle and a deleted first row", async () => {
    const rows = await freshChain(5);
    await tamper(sql`delete from audit_events where seq = 3`);
    expect((await verifyAuditChain(database)).problem).toMatchObject({ kind: "deleted", rowId: rows[3]?.id, seq: 4 });
    await freshChain(3);
    await tamper(sql`delete from audit_events where seq = 1`);
    expect((await verifyAuditChain(database)).problem).toMatchObject({ kind: "deleted", seq: 2 });
  });

  it("catches a row replaced by one that hashes correctly on its own", async () => {
    const rows = await freshChain(4);
    // Row 2 swapped for a well-formed row chained onto row 1: row 3 no longer chains onto it.
    await tamper(sql`delete from audit_events where seq = 2`);
    await database.db.transaction((tx) =>
      writeAudit(tx, { actor: "admin:ab12", action: "job.skip", subject: "job:2", result: "ok" }),
    );
    // The forged row went to the end (seq 5); renumber it into the gap as an owner would.
    await tamper(sql`update audit_events set seq = 2 where seq = 5`);
    const result = await verifyAuditChain(database);
    expect(result.ok).toBe(false);
    expect(result.problem?.kind).toMatch(/edited|inserted/);
    expect(result.problem?.seq).toBeLessThanOrEqual(3);
    expect(rows).toHaveLength(4);
  });

  it("catches a row appended without the chain (forged hash)", async () => {
    await freshChain(2);
    await database.db.execute(
      sql`insert into audit_events (seq, actor, action, subject, result, prev_hash, hash, hash_version)
          select 3, 'admin:ab12', 'job.retry', 'job:3', 'ok', hash, repeat('0', 64), 2 from audit_events where seq = 2`,
    );
    expect((await verifyAuditChain(database)).problem).toMatchObject({ kind: "edited", seq: 3 });
  });

  it("catches deleted rows at the end with the anchor an earlier run printed", async () => {
    await freshChain(5);
    const earlier = await verifyAuditChain(database);
    const anchor = parseAuditAnchor(`${earlier.head?.seq}:${earlier.head?.hash}`);
    expect(anchor).not.toBeNull();
    // The chain grows: the anchor still holds.
    await database.db.transaction((tx) => writeAudit(tx, { actor: "system", action: "x", subject: "y", result: "ok" }));
    expect((await verifyAuditChain(database, { head: anchor ?? undefined, count: 5 })).ok).toBe(true);
    // The last two rows go: the chain alone still verifies, the anchor does not.
    await tamper(sql`delete from audit_events where seq >= 5`);
    expect((await verifyAuditChain(database)).ok).toBe(true);
    const anchored = await verifyAuditChain(database, { head: anchor ?? undefined });
    expect(anchored.problem).toMatchObject({ kind: "anchor_mismatch" });
    expect(anchored.problem?.message).toContain("ends at seq 4");
    expect((await verifyAuditChain(database, { count: 6 })).problem?.kind).toBe("anchor_mismatch");
  });

  it("catches a chain rewritten from the anchored row on", async () => {
    await freshChain(3);
    const earlier = await verifyAuditChain(database);
    // The owner deletes rows 2–3 and writes new, well-chained ones in their place.
    await tamper(sql`delete from audit_events where seq >= 2`);
    for (let i = 0; i < 2; i++)
      await database.db.transaction((tx) => writeAudit(tx, { actor: "system", action: "x", subject: `z${i}`, result: "ok" }));
    expect((await verifyAuditChain(database)).ok).toBe(true);
    const head = earlier.head ? { seq: earlier.head.seq, hash: earlier.head.hash } : undefined;
    expect((await verifyAuditChain(database, { head })).problem).toMatchObject({ kind: "anchor_mismatch", seq: 3 });
  });

  it("verifies rows written before the chain was numbered (content-only hash) and chains onto them", async () => {
    await tamper(sql`delete from audit_events`);
    let prev: string | null = null;
    for (let seq = 1; seq <= 2; seq++) {
      const content = { actor: "admin:ab12", action: "job.retry", subject: `job:${seq}`, detail: {}, result: "ok" };
      const hash = sha256Hex(`${prev ?? ""}\n${canonicalJson(content)}`);
      await database.db.insert(auditEvents).values({ ...content, seq, prevHash: prev, hash });
      prev = hash;
    }
    await database.db.transaction((tx) => writeAudit(tx, { actor: "system", action: "x", subject: "y", result: "ok" }));
    expect(await verifyAuditChain(database)).toMatchObject({ ok: true, rows: 3 });
    await tamper(sql`update audit_events set subject = 'job:9' where seq = 1`);
    expect((await verifyAuditChain(database)).problem).toMatchObject({ kind: "edited", seq: 1 });
  });
});
