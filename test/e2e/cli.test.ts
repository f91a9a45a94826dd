import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { HELSINKI_DATA_DIR } from "../support/paths.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "src/cli/silta.ts");

/** Runs the real `silta` command; resolves with its exit code and output whatever the code. */
async function silta(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("silta CLI", () => {
  it.each([[[]], [["start"]], [["sandbox"]], [["migrate"]], [["mappings", "check"]], [["ledger", "check"]]])(
    "%j --help",
    async (command) => {
      const result = await silta([...command, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: silta/m);
    },
  );

  it("mappings check reports unrouted service codes of a service list", async () => {
    const result = await silta([
      "mappings",
      "check",
      "--services",
      join(HELSINKI_DATA_DIR, "helsinki-services-fi-2019-04.json"),
      "--json",
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { unrouted: { serviceCode: string }[] };
    expect(report.unrouted.map((s) => s.serviceCode)).toEqual(["2805", "2806", "2807", "2808", "2809"]);
  });

  it("refuses an invalid mapping file, naming the file, the field and the reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "silta-mappings-"));
    cpSync(MAPPINGS_DIR, dir, { recursive: true });
    const routing = join(dir, "routing.yaml");
    writeFileSync(routing, readFileSync(routing, "utf8").replace("target: contractor-west", "target: nobody"));
    const result = await silta(["mappings", "check", "--dir", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('routing.yaml: rules[3].target: unknown target "nobody"');
  });

  it("start refuses a wrong setting, naming it and what is allowed", async () => {
    const result = await silta(["start"], { SILTA_OPEN311_URL: "not a url", SILTA_PORT: "99999" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("SILTA_OPEN311_URL");
    expect(result.stderr).toContain("SILTA_PORT");
    expect(result.stderr).toContain("SILTA_TARGET_STARA_URL");
  });

  it("an unknown option says what to do", async () => {
    const result = await silta(["sandbox", "--casez", "3"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown option '--casez'[\s\S]*--help/);
  });
});
