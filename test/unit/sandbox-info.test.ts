import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatSandboxInfo,
  processRunning,
  readSandboxInfo,
  type SandboxInfo,
  writeSandboxInfo,
} from "../../src/sandbox/info.ts";
import { formatProgress, type SandboxProgress } from "../../src/sandbox/progress.ts";

const info: SandboxInfo = {
  urls: {
    silta: "http://127.0.0.1:8080",
    health: "http://127.0.0.1:8080/healthz",
    console: "http://127.0.0.1:8080/admin",
    adminApiDocs: "http://127.0.0.1:8080/api/admin/v1/docs",
    handlerPage: "http://127.0.0.1:8080/cases/abc?token=sandbox-handler-1&lang=fi",
    handlerPageTemplate: "http://127.0.0.1:8080/cases/{id}?token=sandbox-handler-1&lang=fi",
    caseStatus: "http://127.0.0.1:8080/api/v1/cases/{id}",
    contractorApi: "http://127.0.0.1:8080/api/contractor/v1/openapi.json",
    contractorApiDocs: "http://127.0.0.1:8080/api/contractor/v1/docs",
    helsinkiOpen311: "http://127.0.0.1:9001/requests.json?extensions=true",
    stara: "http://127.0.0.1:9002/__sim/state",
    contractors: { "contractor-east": "http://127.0.0.1:9003/__sim/state" },
  },
  adminToken: "sandbox-admin-1",
  handlerToken: "sandbox-handler-1",
  contractorKeys: { "contractor-east": "silta_key_east" },
  webhookSecrets: { "contractor-east": "whsec_east", stara: "whsec_stara" },
  database: { kind: "pglite", dataDir: "/tmp/x/.silta/sandbox", label: "PGlite in .silta/sandbox" },
  siltaEnvironment: { SILTA_OPEN311_URL: "http://127.0.0.1:9001" },
  pid: process.pid,
  runtime: "node",
  seed: 1,
};

describe("sandbox info", () => {
  it("prints every surface with what it takes: handler page and token, contractor keys, webhook secrets", () => {
    const text = formatSandboxInfo(info).join("\n");
    for (const part of [info.urls.handlerPage, "handler token: sandbox-handler-1", "admin token: sandbox-admin-1"])
      expect(text).toContain(part);
    expect(text).toMatch(/contractor-east key:\s+silta_key_east/);
    expect(text).toMatch(/stara\s+whsec_stara/);
    expect(text).toContain("silta ledger check --db /tmp/x/.silta/sandbox");
  });

  it("writes the JSON for its owner only, also over a file that was readable by others", () => {
    const dir = mkdtempSync(join(tmpdir(), "silta-info-"));
    const file = join(dir, "info.json");
    writeFileSync(file, "old");
    chmodSync(file, 0o644);
    writeSandboxInfo(file, info);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(info);
    expect(readSandboxInfo(file)).toEqual(info);
  });

  it("refuses a file that is not a sandbox's info, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "silta-info-"));
    expect(() => readSandboxInfo(join(dir, "none.json"))).toThrow(/none\.json: no such file/);
    writeFileSync(join(dir, "other.json"), '{"a":1}');
    expect(() => readSandboxInfo(join(dir, "other.json"))).toThrow(/other\.json: not a sandbox info file/);
    expect(processRunning(process.pid)).toBe(true);
    expect(processRunning(2 ** 22 + 12_345)).toBe(false);
  });

  it("the progress line counts the jobs retrying and failed", () => {
    const progress = { cases: 3, routed: 3, retrying: 2, failed: 1 } as SandboxProgress;
    expect(formatProgress(progress, 5)).toMatch(/retrying 2 · failed 1$/);
  });
});
