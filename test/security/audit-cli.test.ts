import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { migrateDatabase } from "../../src/db/migrate-node.ts";
import { openDatabase } from "../../src/db/open-node.ts";
import { writeAudit } from "../../src/domain/admin/audit.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "src/cli/silta.ts");
let dataDir: string;

async function silta(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The data folder is opened by one process at a time: the test's handle closes before the CLI runs. */
async function withDatabase(work: (database: Database) => Promise<void>): Promise<void> {
  const database = await openDatabase({ dataDir });
  try {
    await work(database);
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "silta-audit-cli-"));
  await withDatabase(async (database) => {
    await migrateDatabase(database);
    for (let i = 1; i <= 4; i++)
      await database.db.transaction((tx) =>
        writeAudit(tx, { actor: "admin:ab12", action: "job.retry", subject: `job:${i}`, result: "ok" }),
      );
  });
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("silta audit verify", () => {
  it("--help explains the anchor", async () => {
    const result = await silta(["audit", "verify", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--expect-head");
  });

  it("passes an intact chain, prints its head; then names the deleted tail and the edited row", async () => {
    const intact = await silta(["audit", "verify", "--db", dataDir, "--json"]);
    expect(intact.code, intact.stderr).toBe(0);
    const head = (JSON.parse(intact.stdout) as { rows: number; head: { seq: number; hash: string } }).head;
    expect(head.seq).toBe(4);
    const anchor = `${head.seq}:${head.hash}`;
    expect((await silta(["audit", "verify", "--db", dataDir, "--expect-head", anchor])).stdout).toContain(
      `--expect-head ${anchor}`,
    );

    let editedId = 0;
    await withDatabase(async (database) => {
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
        await tx.execute(sql`delete from audit_events where seq = 4`);
        const [row] = await database.rows<{ id: number }>(
          sql`update audit_events set result = 'failed' where seq = 2 returning id`,
          tx,
        );
        editedId = Number(row?.id);
        await tx.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
      });
    });
    const broken = await silta(["audit", "verify", "--db", dataDir]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`audit row id ${editedId} (seq 2) was edited`);

    await withDatabase(async (database) => {
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
        await tx.execute(sql`update audit_events set result = 'ok' where seq = 2`);
        await tx.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
      });
    });
    // Only the tail is gone now: consistent on its own, caught by the anchor.
    expect((await silta(["audit", "verify", "--db", dataDir])).code).toBe(0);
    const tail = await silta(["audit", "verify", "--db", dataDir, "--expect-head", anchor]);
    expect(tail.code).toBe(1);
    expect(tail.stdout).toContain("rows at the end were deleted");
    expect((await silta(["audit", "verify", "--db", dataDir, "--expect-head", "nonsense"])).code).toBe(2);
    // Six CLI processes, each booting PGlite on the data folder: ~22 s alone, more beside other suites.
  }, 120_000);
});
