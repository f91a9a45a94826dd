import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const BIN = "/usr/lib/postgresql/15/bin";

/** A free loopback TCP port (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PgCluster {
  url: string;
  port: number;
  /** `pg_ctl stop -m immediate`: every backend dies at once, like a crash. */
  crash(): void;
  start(): void;
  destroy(): void;
}

/**
 * A throwaway PostgreSQL 15 cluster under /tmp on a free loopback port. PostgreSQL refuses to
 * run as root, so initdb and pg_ctl run as the `postgres` user when we are root.
 */
export async function startPgCluster(): Promise<PgCluster> {
  const dir = mkdtempSync("/tmp/silta-chaos-pg-");
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const port = await freePort();
  const asPostgres = (command: string, args: string[]) => {
    const root = process.getuid?.() === 0;
    execFileSync(root ? "runuser" : command, root ? ["-u", "postgres", "--", command, ...args] : args, {
      stdio: ["ignore", "ignore", "pipe"],
    });
  };
  asPostgres(`${BIN}/initdb`, ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_buffers=64MB`;
  const start = () => asPostgres(`${BIN}/pg_ctl`, ["-D", data, "-l", join(dir, "log"), "-o", options, "-w", "-t", "60", "start"]);
  start();
  asPostgres(`${BIN}/createdb`, ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "silta"]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/silta`,
    port,
    crash: () => asPostgres(`${BIN}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "stop"]),
    start,
    destroy() {
      try {
        asPostgres(`${BIN}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
