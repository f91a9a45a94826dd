import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { grantAppRole } from "../../src/db/app-role.ts";
import { migrateDatabase } from "../../src/db/migrate-node.ts";
import { openDatabase } from "../../src/db/open-node.ts";
import { createServerDatabase, usingServer } from "../support/database.ts";
import { withDatabase } from "../support/global-setup.ts";
import { PG_TEMPLATE_DATABASE } from "../support/paths.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "src/cli/silta.ts");

/** Runs the real `silta` command in `cwd` with only these settings; resolves whatever the exit code. */
async function silta(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("ledger check finds the sandbox's database, and says where it is", () => {
  it("with no database anywhere, says where the sandbox keeps one and how to point at it (exit 2, nothing created)", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "silta-cwd-"));
    const run = await silta(["ledger", "check"], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no Silta database found: .silta/data (the default) holds none");
    expect(run.stderr).toContain("The sandbox keeps its database in .silta/sandbox");
    expect(run.stderr).toContain("--db");
    expect(run.stdout).not.toMatch(/balanced/);
    expect(existsSync(join(cwd, ".silta"))).toBe(false);
  });

  it("uses the sandbox's PGlite folder when the default holds none, and says so; refuses it while it is open", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "silta-cwd-"));
    const sandboxDir = join(cwd, ".silta/sandbox");
    mkdirSync(sandboxDir, { recursive: true });
    const database = await openDatabase({ dataDir: sandboxDir });
    await migrateDatabase(database);
    await database.close();

    const run = await silta(["ledger", "check"], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("using the sandbox's, .silta/sandbox");
    expect(run.stdout).toContain("ledger balanced");

    // PGlite keeps postmaster.pid while a process (a running sandbox) has the folder open.
    writeFileSync(join(sandboxDir, "postmaster.pid"), "-42\n");
    const open = await silta(["ledger", "check"], { cwd });
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/open in another process.*Stop the sandbox first/);
    rmSync(join(sandboxDir, "postmaster.pid"));

    // A read-only check never migrates: a database behind the build is reported, not changed.
    const again = await openDatabase({ dataDir: sandboxDir });
    await again.rows(sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`);
    await again.close();
    const behind = await silta(["ledger", "check", "--db", ".silta/sandbox"], { cwd });
    expect(behind.code).toBe(2);
    expect(behind.stderr).toMatch(/has \d+ of the \d+ migrations this build ships: run `silta migrate` as the owner/);
  }, 30_000);
});

describe("database errors say what went wrong and what to do", () => {
  it("no server at the address: the driver's code and message, a hint, exit 2", async () => {
    const run = await silta(["ledger", "check", "--db", "postgres://silta@127.0.0.1:1/silta"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("database error ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1");
    expect(run.stderr).toContain("is the PostgreSQL server running there?");
    expect(run.stderr).not.toContain("Failed query");
  });

  it.runIf(usingServer())("a database that does not exist: create it or fix DATABASE_URL", async () => {
    const url = withDatabase(process.env.DATABASE_URL ?? "", "silta_no_such_database");
    const run = await silta(["migrate"], { env: { DATABASE_URL: url } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('database error 3D000: database "silta_no_such_database" does not exist');
    expect(run.stderr).toContain("create it (createdb silta_no_such_database");
    expect(run.stderr).not.toContain("CREATE SCHEMA");
  });
});

describe.runIf(usingServer())("ledger check and reconcile under the application role", () => {
  it("run without DDL rights, and say when migrations are missing instead of trying to apply them", async () => {
    const serverUrl = process.env.DATABASE_URL ?? "";
    const database = await createServerDatabase(serverUrl, { template: PG_TEMPLATE_DATABASE });
    const role = `silta_app_${Date.now().toString(36)}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create role ${role} login`);
      await grantAppRole(database, role);
      const appUrl = new URL(database.url ?? "");
      appUrl.username = role;
      appUrl.password = "";
      const targets = Object.fromEntries(
        [
          ["STARA", { TOKEN: "stara-token" }],
          ["CONTRACTOR_EAST", {}],
          ["CONTRACTOR_WEST", {}],
        ].flatMap(([id, extra]) =>
          Object.entries({
            URL: "http://127.0.0.1:1",
            ALLOW_PRIVATE: "true",
            WEBHOOK_SECRETS: "whsec_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ...(extra as object),
          }).map(([k, v]) => [`SILTA_TARGET_${id}_${k}`, v]),
        ),
      );
      const env = { DATABASE_URL: appUrl.toString(), SILTA_OPEN311_URL: "http://127.0.0.1:1", ...targets };

      const ledger = await silta(["ledger", "check"], { env });
      expect(ledger.code, ledger.stderr).toBe(0);
      expect(ledger.stdout).toContain("ledger balanced");
      const reconcile = await silta(["reconcile"], { env });
      expect(reconcile.code, reconcile.stderr).toBe(0);
      expect(reconcile.stdout).toMatch(/^0 open links/);

      await database.rows(
        sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`,
      );
      for (const command of [["ledger", "check"], ["reconcile"]]) {
        const behind = await silta(command, { env });
        expect(behind.code).toBe(2);
        expect(behind.stderr).toMatch(/of the \d+ migrations this build ships: run `silta migrate` as the owner/);
        expect(behind.stderr).not.toContain("permission denied");
      }
    } finally {
      await database.dispose();
      await admin.unsafe(`drop role if exists ${role}`);
      await admin.end();
    }
  }, 60_000);
});
