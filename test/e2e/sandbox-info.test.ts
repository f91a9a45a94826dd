import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import type { SandboxInfo } from "../../src/sandbox/info.ts";
import { describeUnsettled } from "../../src/sandbox/progress.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { sandboxPassed, summarizeSandbox } from "../../src/sandbox/summary.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "src/cli/silta.ts");

async function silta(args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" },
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("silta sandbox hands over every key", () => {
  it("prints the handler page and token, contractor keys and webhook secrets, and writes them to --info-file (0600)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "silta-sandbox-info-"));
    const file = join(dir, "info.json");
    const db = join(dir, "db");
    const run = await silta(
      ["sandbox", "--cases", "3", "--seed", "3", "--until-settled", "--json", "--port", "0"].concat([
        "--timeout",
        "60",
        "--db",
        db,
        "--info-file",
        file,
      ]),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ cases: 3, settled: true, lost: 0 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const info = JSON.parse(readFileSync(file, "utf8")) as SandboxInfo;
    expect(Object.keys(info)).toEqual(
      expect.arrayContaining(["urls", "adminToken", "handlerToken", "contractorKeys", "webhookSecrets", "database"]),
    );
    expect(info.urls.handlerPage).toMatch(new RegExp(`^${info.urls.silta}/cases/[^/?]+\\?token=${info.handlerToken}&lang=fi$`));
    expect(Object.keys(info.contractorKeys).sort()).toEqual(["contractor-east", "contractor-west"]);
    expect(Object.keys(info.webhookSecrets).sort()).toEqual(["contractor-east", "contractor-west", "open311-push", "stara"]);
    expect(info.database).toMatchObject({ kind: "pglite", dataDir: db });
    // The same, printed (on stderr with --json).
    for (const value of [
      info.urls.handlerPage,
      info.adminToken,
      ...Object.values(info.contractorKeys),
      ...Object.values(info.webhookSecrets),
    ])
      expect(run.stderr).toContain(value);
    expect(run.stderr).toMatch(/retrying \d+ · failed \d+/);

    const ledger = await silta(["ledger", "check", "--db", db]);
    expect(ledger.code, ledger.stderr).toBe(0);
    expect(ledger.stdout).toMatch(
      /^3 cases: .*\n\d+ rework cycle\(s\); \d+ duplicate\(s\) sharing another case.s work order\nledger balanced/,
    );
  }, 90_000);
});

describe("a sandbox stopped mid-way", () => {
  let sandbox: Sandbox | undefined;
  let database: TestDatabase | undefined;
  afterAll(async () => {
    await sandbox?.stop();
    await database?.dispose();
  });

  it("its keys open the handler page and the contractor API, and its summary does not claim it settled", async () => {
    database = await createTestDatabase();
    // Crews that take a minute per step: the cases stay in progress for the whole test.
    sandbox = await startSandbox({
      seed: 4,
      cases: 4,
      database,
      ...(database.url ? { databaseUrl: database.url } : {}),
      port: 0,
      mappingsDir: MAPPINGS_DIR,
      pollIntervalMs: 300,
      fieldDelayMs: { min: 60_000, max: 60_000 },
      cancelFraction: 0,
    });
    const started = performance.now();
    // Until every work order is out (the crews then hold them in progress).
    for (;;) {
      await sandbox.poll();
      const p = await sandbox.progress();
      if ((p.routed > 0 && p.pendingJobs === 0 && p.delivered > 0) || performance.now() - started > 20_000) break;
    }
    const info = await sandbox.info();

    const page = await fetch(info.urls.handlerPage);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const caseId = decodeURIComponent(new URL(info.urls.handlerPage).pathname.split("/").pop() ?? "");
    const routed = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from cases where id = ${caseId} and disposition = 'routed'`,
    );
    expect(routed[0]?.n).toBe(1);
    expect(
      (await fetch(info.urls.caseStatus.replace("{id}", caseId), { headers: { authorization: `Bearer ${info.handlerToken}` } }))
        .status,
    ).toBe(200);
    for (const [target, key] of Object.entries(info.contractorKeys)) {
      expect(key).toBe(sandbox.contractorKeys.get(target));
      const list = await fetch(`${info.urls.silta}/api/contractor/v1/work-orders`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(list.status).toBe(200);
    }

    const summary = await summarizeSandbox(sandbox, { seed: 4, settled: true, seconds: 1 });
    expect(summary.settled).toBe(false);
    expect(summary.unsettledCases).toBeGreaterThan(0);
    // The failure diagnosis names the same cases, each link with where it stopped.
    const stuck = (await describeUnsettled(database, { limit: 100 })) as { case_id: string; field_status: string }[];
    expect(new Set(stuck.map((l) => l.case_id)).size).toBe(summary.unsettledCases);
    expect(stuck.every((l) => !["completed", "no_action"].includes(l.field_status))).toBe(true);
    expect(sandboxPassed(summary)).toBe(false);
    expect(sandboxPassed(summary, { requireSettled: false })).toBe(true);

    // A job whose last attempt failed and waits, and one that gave up: counted in the progress line.
    await database.rows(sql`insert into outbox_jobs (kind, dedupe_key, link_id, case_id, target, state, attempts, run_at, last_error_code)
      values ('write_back', 'test:retrying', 999999, 'x', 'stara', 'pending', 2, now() + interval '1 hour', 'network'),
             ('write_back', 'test:dead', 999998, 'y', 'stara', 'dead', 5, now(), 'permanent')`);
    expect(await sandbox.progress()).toMatchObject({ retrying: 1, failed: 1 });
  }, 60_000);
});
