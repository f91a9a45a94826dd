import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.ts";
import { appRoleGrantStatements, canRunMigrations, grantAppRole } from "../../src/db/app-role.ts";
import type { Database } from "../../src/db/client.ts";
import { migrateOnStart } from "../../src/db/migrate-node.ts";
import { openDatabase } from "../../src/db/open-node.ts";
import { cases, links } from "../../src/db/schema/index.ts";
import { writeAudit } from "../../src/domain/admin/audit.ts";
import { verifyAuditChain } from "../../src/domain/admin/audit-verify.ts";
import { createContractorGateway, issueContractorKey } from "../../src/domain/contractor-gateway.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { purgeExpiredPersonalData } from "../../src/domain/retention.ts";
import { createApp } from "../../src/http/app.ts";
import { createServerDatabase, findServerUrl } from "../integration/reliability-support.ts";
import type { TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";
import { withDatabase } from "../support/global-setup.ts";

// Roles exist only on a real server: this file always runs against one (S8).
let serverUrl: string;
let owner: TestDatabase;
let app: Database;
const role = `silta_app_t_${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  const found = await findServerUrl();
  if (!found) throw new Error("db-roles tests need the PostgreSQL server (DATABASE_URL or 127.0.0.1:5432)");
  serverUrl = found;
  owner = await createServerDatabase();
  const superuser = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await superuser.unsafe(`create role ${role} login`);
  await superuser.end();
  await grantAppRole(owner, role);
  const [{ name } = { name: "" }] = await owner.rows<{ name: string }>(sql`select current_database() as name`);
  const url = new URL(withDatabase(serverUrl, name));
  url.username = role;
  url.password = "";
  app = await openDatabase({ url: url.toString() }, { maxConnections: 4 });
});

afterAll(async () => {
  await app?.close();
  await owner?.dispose();
  const superuser = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await superuser.unsafe(`drop role if exists ${role}`);
  await superuser.end();
});

describe("application role (S8, least privilege)", () => {
  it("cannot run DDL, nor change or remove audit rows", async () => {
    const refused = [
      sql`create table intruder (id int)`,
      sql`alter table cases add column intruder int`,
      sql`drop table ledger_entries`,
      sql`create index intruder_idx on cases (status)`,
      sql`alter table audit_events disable trigger audit_events_no_update_delete`,
      sql`update audit_events set result = 'x'`,
      sql`delete from audit_events`,
      sql`truncate audit_events`,
      sql`truncate cases cascade`,
      sql`create schema intruder`,
    ];
    for (const statement of refused) {
      const error = await app.db.execute(statement).then(
        () => null,
        (thrown: unknown) => thrown as Error & { cause?: Error },
      );
      // drizzle wraps the server's error: the reason is in its cause.
      expect(`${error?.message} ${error?.cause?.message}`).toMatch(/permission denied|must be owner/);
    }
  });

  it("start skips migrations as the application role, and the owner may run them", async () => {
    expect(await canRunMigrations(app)).toBe(false);
    expect(await canRunMigrations(owner)).toBe(true);
    expect(await migrateOnStart(app, "auto")).toBe("skipped");
    await expect(migrateOnStart(app, "always")).rejects.toThrow();
    expect(await migrateOnStart(owner, "auto")).toBe("migrated");
  });

  it("does Silta's normal work: intake, delivery with disclosure audit, admin audit, contractor feed", async () => {
    const targets = ["stara", "contractor-east", "contractor-west"].map((id) => new FakeWorkOrderSystem(id));
    const deps = makeDeps(app, new FakeCaseSystem(), targets);
    const records = [
      makeCase({ ...PLACES.east }),
      makeCase({ ...PLACES.west }),
      makeCase({ serviceCode: "174", ...PLACES.east }),
    ];
    await ingestCases(deps, records);
    await drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
    const forwarded = await app.db.select().from(links).where(eq(links.state, "forwarded"));
    expect(forwarded).toHaveLength(3);
    await app.db.transaction((tx) =>
      writeAudit(tx, { actor: "admin:ab12", action: "job.retry", subject: "job:1", result: "ok" }),
    );
    await issueContractorKey(app, "contractor-east");
    const page = await createContractorGateway(app, deps.mappings).listFeed("contractor-east", null, 10);
    expect(page.items).toHaveLength(1);
    const audit = await verifyAuditChain(app);
    expect(audit).toMatchObject({ ok: true, rows: 5 });
    expect((await checkLedgerBalance(app)).balanced).toBe(true);
  });

  it("runs the retention purge (row updates and its audit row)", async () => {
    const deps = makeDeps(app, new FakeCaseSystem(), []);
    const excluded = makeCase({
      serviceCode: "2806",
      reporter: { firstName: "K", lastName: "L", email: "k@example.org", phone: null },
    });
    await ingestCases(deps, [excluded]);
    await owner.db
      .update(cases)
      .set({ updatedAt: sql`now() - interval '400 days'` })
      .where(eq(cases.id, excluded.serviceRequestId));
    expect(await purgeExpiredPersonalData(deps, { days: 180 })).toMatchObject({ cases: 1 });
    expect((await verifyAuditChain(app)).ok).toBe(true);
  });

  it("/readyz, read as the application role, reports a migration the owner has not applied", async () => {
    const [{ n } = { n: 0 }] = await owner.rows<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    const deps = makeDeps(app, new FakeCaseSystem(), []);
    const ready = await createApp(deps, { expectedMigrations: n }).request("/readyz");
    expect(ready.status).toBe(200);
    const behind = await createApp(deps, { expectedMigrations: n + 1 }).request("/readyz");
    expect(behind.status).toBe(503);
    expect(await behind.json()).toMatchObject({ reason: `migrations pending: ${n} of ${n + 1} applied` });
  });

  it("silta db grant-app-role --print shows the SQL; a wrong SILTA_MIGRATE_ON_START is named at start", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [fileURLToPath(new URL("../../src/cli/silta.ts", import.meta.url)), "db", "grant-app-role", "silta_app", "--print"],
      { env: { PATH: process.env.PATH ?? "" }, timeout: 60_000 },
    );
    expect(stdout).toContain('revoke update, delete, truncate, references, trigger on audit_events from "silta_app";');
    expect(() => parseConfig({ SILTA_OPEN311_URL: "https://x.example/v1", SILTA_MIGRATE_ON_START: "yes" }, [])).toThrow(
      /SILTA_MIGRATE_ON_START/,
    );
    expect(parseConfig({ SILTA_OPEN311_URL: "https://x.example/v1" }, [])).toMatchObject({
      migrateOnStart: "auto",
      retention: { days: 180 },
    });
  });

  it("grant-app-role refuses a role that owns the tables, an unknown role, and names that are not plain", async () => {
    const [{ me } = { me: "" }] = await owner.rows<{ me: string }>(sql`select current_user as me`);
    await expect(grantAppRole(owner, me)).rejects.toThrow(/owns/);
    await expect(grantAppRole(owner, "no_such_role_here")).rejects.toThrow(/does not exist/);
    expect(() => appRoleGrantStatements('x"; drop table cases; --')).toThrow(/plain role name/);
  });
});
