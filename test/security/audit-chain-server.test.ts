import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAudit } from "../../src/domain/admin/audit.ts";
import { verifyAuditChain } from "../../src/domain/admin/audit-verify.ts";
import { createServerDatabase } from "../integration/reliability-support.ts";
import type { TestDatabase } from "../support/database.ts";

// Real concurrency needs a server (PGlite serialises everything).
let database: TestDatabase;
beforeAll(async () => {
  database = await createServerDatabase();
});
afterAll(async () => database?.dispose());

describe("audit chain under concurrent writers (server)", () => {
  it("many transactions at once still make one gap-free, verifiable chain", async () => {
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        database.db.transaction(async (tx) => {
          // Some work before the audit row, as a delivery commit has, so that transactions overlap.
          await tx.execute(sql`select pg_sleep(0.005)`);
          await writeAudit(tx, { actor: `contractor:t${i % 3}`, action: "disclosure.create", subject: `ref-${i}`, result: "ok" });
        }),
      ),
    );
    const result = await verifyAuditChain(database);
    expect(result.problem).toBeNull();
    expect(result.rows).toBe(60);
  });
});
