import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { silentLogger } from "../../src/domain/deps.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import { buildAppOptions, buildDeps } from "../../src/runtime/build-deps.ts";
import { WORKER_CRONS } from "../../src/runtime/worker-tasks.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";

/**
 * Node, the Worker and the CLI build their dependencies and app options in one place
 * (src/runtime/build-deps.ts): every setting below must reach what the runtimes run, so a
 * runtime that ignored one (as the Worker once ignored its tokens and retry horizon) fails here.
 */
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const mappings = loadMappingsFromDir(MAPPINGS_DIR);
const env: Record<string, string> = {
  SILTA_OPEN311_URL: "http://127.0.0.1:9000",
  SILTA_OPEN311_API_KEY: "key",
  SILTA_ADMIN_TOKENS: "admin-token-0123456789abcdef01",
  SILTA_HANDLER_TOKENS: "handler-token-0123456789abcdef",
  SILTA_CASE_PAGE_FRAME_ANCESTORS: "https://asiointi.hel.fi",
  SILTA_RETRY_HORIZON_HOURS: "5",
  SILTA_HTTP_TIMEOUT_MS: "4000",
  SILTA_LEASE_SECONDS: "30",
  SILTA_POLL_LOOKBACK_HOURS: "3",
  SILTA_INTAKE_STALE_MINUTES: "7",
  SILTA_RATE_LIMIT_ADMIN_PER_SECOND: "3",
  SILTA_MEDIA_HOSTS: "media.example.fi",
};
for (const id of mappings.targets.keys()) {
  const prefix = `SILTA_TARGET_${id.toUpperCase().replaceAll("-", "_")}_`;
  Object.assign(env, {
    [`${prefix}URL`]: "http://127.0.0.1:9001",
    [`${prefix}TOKEN`]: "t",
    [`${prefix}WEBHOOK_SECRETS`]: SECRET,
    [`${prefix}ALLOW_PRIVATE`]: "true",
  });
}
const config = parseConfig(env, [...mappings.targets.values()]);
const database = {} as Database;

describe("one builder of dependencies and app options", () => {
  it("carries the engine settings from the configuration", () => {
    const deps = buildDeps(config, { database, mappings, log: silentLogger, workerId: "w" });
    expect(deps.settings).toMatchObject({
      workerId: "w",
      leaseMs: 30_000,
      callBudgetMs: 4_000,
      pollLookbackMs: 3 * 3_600_000,
      retry: { horizonMs: 5 * 3_600_000 },
    });
    expect(deps.source?.writeBack.enabled).toBe(true);
    expect(deps.media?.policy).toBeDefined();
  });

  it("carries the tokens, frame ancestors, intake freshness and rate limits into the app options", () => {
    const options = buildAppOptions(config);
    expect(options).toMatchObject({
      adminTokens: ["admin-token-0123456789abcdef01"],
      handlerTokens: ["handler-token-0123456789abcdef"],
      casePageFrameAncestors: ["https://asiointi.hel.fi"],
      intakeHealth: { staleMs: 7 * 60_000 },
      rateLimits: { admin: { perSecond: 3 } },
    });
    // The Worker's app lives for one request: the same options without rate limits.
    const perRequest = buildAppOptions(config, { perRequest: true, expectedMigrations: 9 });
    expect(perRequest.adminTokens).toEqual(options.adminTokens);
    expect(perRequest.rateLimits).toBeUndefined();
    expect(perRequest.expectedMigrations).toBe(9);
  });

  it("applies targets.yaml's breaker policy to the process's target guards", () => {
    const stara = mappings.targets.get("stara");
    if (!stara) throw new Error("no stara target");
    const strict = new Map(mappings.targets).set("stara", {
      ...stara,
      policy: { ...stara.policy, breaker: { failureThreshold: 1 } },
    });
    const deps = buildDeps(config, { database, mappings: { ...mappings, targets: strict }, log: silentLogger, workerId: "w" });
    const guards = deps.targetGuards;
    if (!guards) throw new Error("no target guards");
    expect(guards.admit("stara", false, 0).allowed).toBe(true);
    guards.settle("stara", { ok: false, retryable: true, retry: false, probe: false }, 0);
    expect(guards.admit("stara", false, 0).allowed).toBe(false);
    expect(guards.admit("contractor-east", false, 0).allowed).toBe(true);
  });
});

describe("the Worker's cron triggers", () => {
  it("wrangler.toml declares exactly the crons the Worker dispatches on", () => {
    const toml = readFileSync(join(MAPPINGS_DIR, "..", "wrangler.toml"), "utf8");
    const crons = /crons\s*=\s*(\[[^\]]*\])/.exec(toml)?.[1];
    expect(crons).toBeDefined();
    expect(parse(crons ?? "[]")).toEqual(Object.values(WORKER_CRONS));
  });
});
