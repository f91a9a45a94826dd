import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { afterAll, describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER, migrateDatabase } from "../../src/db/migrate-node.ts";
import { openDatabase } from "../../src/db/open-node.ts";
import { writeAudit } from "../../src/domain/admin/audit.ts";
import { verifyAuditChain } from "../../src/domain/admin/audit-verify.ts";
import { canonicalJson, sha256Hex } from "../../src/lib/hash.ts";

const folder = mkdtempSync(join(tmpdir(), "silta-migrations-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("upgrading a database whose audit rows predate the numbered chain", () => {
  it("numbers the old rows in id order, keeps verifying them, and chains new rows onto them", async () => {
    // The migrations as they were before the chain was numbered (0000–0003).
    cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
    const journalPath = join(folder, "meta/_journal.json");
    const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
    journal.entries = journal.entries.slice(0, 4);
    writeFileSync(journalPath, JSON.stringify(journal));
    const database = await openDatabase({ memory: true });
    try {
      await migrate(database.db as unknown as PgliteDatabase, { migrationsFolder: folder });
      // Rows as the old writeAudit wrote them: content-only hash, no seq.
      let prev: string | null = null;
      for (let i = 1; i <= 3; i++) {
        const content = { actor: "admin:ab12", action: "job.retry", subject: `job:${i}`, detail: { jobId: i }, result: "ok" };
        const hash = sha256Hex(`${prev ?? ""}\n${canonicalJson(content)}`);
        await database.rows(
          sql`insert into audit_events (actor, action, subject, detail, result, prev_hash, hash)
              values (${content.actor}, ${content.action}, ${content.subject}, ${JSON.stringify(content.detail)}::jsonb, ${content.result}, ${prev}, ${hash})`,
        );
        prev = hash;
      }
      await migrateDatabase(database);
      const rows = await database.rows<{ seq: number; hash_version: number | null }>(
        sql`select seq::int as seq, hash_version from audit_events order by id`,
      );
      expect(rows).toEqual([
        { seq: 1, hash_version: null },
        { seq: 2, hash_version: null },
        { seq: 3, hash_version: null },
      ]);
      await database.db.transaction((tx) => writeAudit(tx, { actor: "system", action: "x", subject: "y", result: "ok" }));
      expect(await verifyAuditChain(database)).toMatchObject({ ok: true, rows: 4, head: { seq: 4 } });
    } finally {
      await database.close();
    }
  });
});
