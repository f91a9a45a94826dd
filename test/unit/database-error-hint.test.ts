import { sql } from "drizzle-orm";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { databaseErrorHint, describeDatabaseError, isDatabaseError } from "../../src/db/describe-database-error.ts";
import { openDatabase } from "../../src/db/open-node.ts";

/** What postgres.js throws for a server's error: PostgreSQL's severity and SQLSTATE. */
function postgresError(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: "PostgresError", code, severity: "FATAL" });
}
const wrapped = (cause: unknown) => new DrizzleQueryError('CREATE SCHEMA IF NOT EXISTS "drizzle"', [], cause as Error);
const hintFor = (error: unknown) => databaseErrorHint(describeDatabaseError(error));

describe("database errors at the command line", () => {
  it("knows a database error (drizzle's wrapper, a driver's error) from any other error", async () => {
    expect(isDatabaseError(wrapped(postgresError("3D000", 'database "x" does not exist')))).toBe(true);
    expect(isDatabaseError(postgresError("28P01", "password authentication failed"))).toBe(true);
    const connect = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5433"), { code: "ECONNREFUSED", syscall: "connect" });
    expect(isDatabaseError(wrapped(connect))).toBe(true);
    // A file that is not there, or a refused fetch, is not the database's.
    expect(isDatabaseError(Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" }))).toBe(false);
    expect(isDatabaseError(new TypeError("fetch failed", { cause: connect }))).toBe(false);
    const database = await openDatabase({ memory: true });
    const pglite = await database.rows(sql`select * from no_such_table`).catch((error: unknown) => error);
    await database.close();
    expect(isDatabaseError(pglite)).toBe(true);
    expect(describeDatabaseError(pglite).code).toBe("42P01");
  });

  it("says what to do for the common cases", () => {
    expect(hintFor(wrapped(postgresError("3D000", 'database "silta_prod" does not exist')))).toMatch(
      /does not exist: create it \(createdb silta_prod.*or fix the database name in DATABASE_URL/,
    );
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:5433"), { code: "ECONNREFUSED" });
    expect(hintFor(wrapped(refused))).toMatch(/at 10\.0\.0\.5:5433: is the PostgreSQL server running there\?/);
    expect(hintFor(wrapped(postgresError("28P01", 'password authentication failed for user "silta"')))).toMatch(
      /authentication failed: check the user name and password/,
    );
    expect(hintFor(wrapped(postgresError("42501", "permission denied for schema public")))).toMatch(
      /Run `silta migrate`.*as the owner.*silta db grant-app-role/,
    );
    expect(hintFor(wrapped(postgresError("42P01", 'relation "cases" does not exist')))).toMatch(/silta migrate/);
    expect(hintFor(wrapped(postgresError("08006", "connection failure")))).toMatch(/connection to the server failed/);
    expect(hintFor(wrapped(postgresError("23505", "duplicate key")))).toBeNull();
    expect(hintFor(new Error("no code"))).toBeNull();
  });
});
