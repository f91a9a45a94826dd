import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const silta = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["src/cli/silta.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
  });

describe("silta reconcile (command line)", () => {
  it("explains itself with --help", () => {
    const run = silta(["reconcile", "--help"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("--repair");
    expect(run.stdout).toContain("--json");
  });

  it("stops with a clear message and exit 2 when the connections are not configured", () => {
    const run = silta(["reconcile", "--db", "postgres://nobody@127.0.0.1:1/none"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("SILTA_OPEN311_URL");
  });
});
