import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrate-node.ts";
import { openDatabase } from "../../src/db/open-node.ts";
import { auditEvents, cases } from "../../src/db/schema/index.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, makeCase } from "../support/fakes.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "src/cli/silta.ts");
let dataDir: string;
const excluded = makeCase({
  serviceCode: "2806",
  description: "Soittakaa minulle, Kaija Kanarialintu",
  reporter: { firstName: "Kaija", lastName: "Kanarialintu", email: "kaija@example.org", phone: null },
});

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

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "silta-retention-cli-"));
  const database = await openDatabase({ dataDir });
  await migrateDatabase(database);
  await ingestCases(makeDeps(database, new FakeCaseSystem(), []), [excluded]);
  await database.db.update(cases).set({ updatedAt: sql`now() - interval '40 days'` });
  await database.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("silta retention purge", () => {
  it("--help says what is purged and what never is", async () => {
    const result = await silta(["retention", "purge", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("never an open or parked one");
  });

  it("counts with --dry-run, purges with --days, and leaves an audit row", async () => {
    const notYet = JSON.parse((await silta(["retention", "purge", "--db", dataDir, "--json"])).stdout);
    expect(notYet).toMatchObject({ cases: 0, days: 180 });
    const dry = JSON.parse((await silta(["retention", "purge", "--db", dataDir, "--days", "30", "--dry-run", "--json"])).stdout);
    expect(dry).toMatchObject({ dryRun: true, cases: 1 });
    const done = await silta(["retention", "purge", "--db", dataDir, "--days", "30"]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("purged 1 case(s)");
    expect((await silta(["retention", "purge", "--db", dataDir, "--days", "0"])).code).toBe(2);

    const database = await openDatabase({ dataDir });
    try {
      const [row] = await database.db.select().from(cases).where(eq(cases.id, excluded.serviceRequestId));
      expect(row?.snapshot).toMatchObject({ description: null, reporter: null });
      const audit = await database.db.select().from(auditEvents).where(eq(auditEvents.action, "retention.purge"));
      expect(audit.map((a) => a.detail.cases)).toEqual([0, 1]);
    } finally {
      await database.close();
    }
  });
});
