import { sql } from "drizzle-orm";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it } from "vitest";
import { describeDatabaseError, describeFailure } from "../../src/db/describe-database-error.ts";
import { openDatabase } from "../../src/db/open-node.ts";
import { SiltaError, toSiltaError } from "../../src/kernel/errors.ts";

const CANARY = "canary@example.com";

/** What a driver throws: PostgreSQL's SQLSTATE as `code`, its message, and the query's parameters beside them. */
function driverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, query: "insert into t values ($1)", params: [CANARY], parameters: [CANARY] });
}

describe("describeDatabaseError", () => {
  it("gives the driver's code and message from under a DrizzleQueryError, never the parameters", () => {
    const cause = driverError("22P05", "unsupported Unicode escape sequence");
    const error = new DrizzleQueryError("insert into cases (title, reporter_email) values ($1, $2)", ["Kuoppa", CANARY], cause);
    expect(error.message).toContain(CANARY);
    const described = describeDatabaseError(error);
    expect(described).toEqual({ code: "22P05", message: "unsupported Unicode escape sequence" });
    expect(JSON.stringify(described)).not.toContain(CANARY);
  });

  it("reads a DrizzleQueryError-like error (a plain Error with the same message) the same way", () => {
    const lookalike = Object.assign(new Error(`Failed query: insert into t values ($1)\nparams: ${CANARY}`), {
      query: "insert into t values ($1)",
      params: [CANARY],
      cause: driverError("23505", 'duplicate key value violates unique constraint "cases_pkey"'),
    });
    const described = describeDatabaseError(lookalike);
    expect(described).toEqual({ code: "23505", message: 'duplicate key value violates unique constraint "cases_pkey"' });
  });

  it("says only 'query failed' for a DrizzleQueryError without a cause", () => {
    const described = describeDatabaseError(new DrizzleQueryError("select $1", [CANARY]));
    expect(described).toEqual({ code: null, message: "query failed" });
  });

  it("follows a longer cause chain, and a chain that loops ends", () => {
    const driver = driverError("57P01", "terminating connection due to administrator command");
    const wrapped = new Error("pump failed", { cause: new DrizzleQueryError("select $1", [CANARY], driver) });
    expect(describeDatabaseError(wrapped)).toEqual({
      code: "57P01",
      message: "terminating connection due to administrator command",
    });
    const a: { message: string; cause?: unknown } = { message: "a" };
    a.cause = { message: "b", cause: a };
    expect(describeDatabaseError(a)).toEqual({ code: null, message: "a" });
  });

  it("names a network failure by its code", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED", errno: -111 });
    expect(describeDatabaseError(new DrizzleQueryError("select 1", [], refused))).toEqual({
      code: "ECONNREFUSED",
      message: "connect ECONNREFUSED 127.0.0.1:5432",
    });
    const dualStack = Object.assign(new AggregateError([new Error("connect ECONNREFUSED ::1:5432")], ""), {
      code: "ECONNREFUSED",
    });
    expect(describeDatabaseError(dualStack)).toEqual({ code: "ECONNREFUSED", message: "connect ECONNREFUSED ::1:5432" });
  });

  it("keeps the message to one short line without control characters, quoted data or passwords", () => {
    const long = describeDatabaseError(driverError("XX000", `bad\u0000 thing\n${"x".repeat(500)}`));
    expect(long.message.length).toBeLessThanOrEqual(200);
    expect(long.message.startsWith("bad thing x")).toBe(true);
    expect(describeDatabaseError(driverError("22P02", `invalid input syntax for type integer: "${CANARY}"`)).message).toBe(
      'invalid input syntax for type integer: "…"',
    );
    const url = describeDatabaseError(new Error("cannot parse postgres://silta:hunter2@db.internal:5432/silta"));
    expect(url.message).not.toContain("hunter2");
  });

  it("describes non-errors", () => {
    expect(describeDatabaseError("boom")).toEqual({ code: null, message: "boom" });
    expect(describeDatabaseError(undefined)).toEqual({ code: null, message: "database error" });
  });

  it("describes a real PGlite failure through drizzle without the value sent", async () => {
    const database = await openDatabase({ memory: true });
    try {
      await database.db.execute(sql`create table t(x text)`);
      const value = "a\u0000b";
      const error = await database.db.execute(sql`insert into t values (${value})`).then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain("params:");
      const described = describeDatabaseError(error);
      expect(described.code).toMatch(/^[0-9A-Z]{5}$/);
      expect(described.message).not.toBe("");
      expect(JSON.stringify(described)).not.toContain("a\\u0000b");
      expect(described.message).not.toContain(value);
      expect(described.message).not.toContain("params");
    } finally {
      await database.close();
    }
  });
});

describe("describeFailure", () => {
  it("describes an internal error by what it wraps, so a failed query's parameters never show", () => {
    const query = new DrizzleQueryError("insert into t values ($1)", [CANARY], driverError("23505", "duplicate key value"));
    const internal = toSiltaError(query);
    expect(internal.code).toBe("internal");
    expect(internal.message).toContain(CANARY);
    expect(describeFailure(internal)).toBe("database 23505: duplicate key value");
    expect(describeFailure(query)).toBe("database 23505: duplicate key value");
  });

  it("keeps a SiltaError's own code and message otherwise", () => {
    expect(describeFailure(new SiltaError("target_unavailable", "HTTP 503"))).toBe("target_unavailable: HTTP 503");
    expect(describeFailure(new SiltaError("internal", "job 3 points at missing link 9"))).toBe(
      "internal: job 3 points at missing link 9",
    );
  });
});
