import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { openDatabase } from "../../src/db/open-node.ts";
import { waitForDatabase } from "../../src/db/wait-for-database-node.ts";

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("waitForDatabase", () => {
  it("gives up on an unreachable server with a clear error, having logged each failure", async () => {
    const database = await openDatabase({ url: `postgres://silta:not-this-password@127.0.0.1:${await closedPort()}/silta` });
    const lines: string[] = [];
    const started = Date.now();
    try {
      const error = await waitForDatabase(database, { timeoutMs: 1500, log: (line) => lines.push(line) }).then(
        () => null,
        (thrown: unknown) => thrown,
      );
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toMatch(
        /^database unreachable after \d+(\.\d)?s: ECONNREFUSED .*; check DATABASE_URL and that PostgreSQL is running$/,
      );
      expect(elapsed).toBeGreaterThanOrEqual(1400);
      expect(elapsed).toBeLessThan(5000);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines[0]).toMatch(/^database not reachable \(attempt 1\): ECONNREFUSED .*; retrying in 0\.5s$/);
      for (const text of [message, ...lines]) expect(text).not.toContain("not-this-password");
    } finally {
      await database.close();
    }
  });

  it("stops when its signal aborts", async () => {
    const database = await openDatabase({ url: `postgres://silta:x@127.0.0.1:${await closedPort()}/silta` });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("shutting down")), 300);
      await expect(waitForDatabase(database, { timeoutMs: 0, signal: controller.signal })).rejects.toThrow("shutting down");
    } finally {
      await database.close();
    }
  });

  it("resolves at once when the database answers", async () => {
    const database: Database = await openDatabase({ memory: true });
    const lines: string[] = [];
    try {
      const started = Date.now();
      await waitForDatabase(database, { timeoutMs: 1500, log: (line) => lines.push(line) });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(lines).toEqual([]);
    } finally {
      await database.close();
    }
  });
});
