import { afterEach, describe, expect, it } from "vitest";
import { startHelsinkiSimulator } from "../../adapters/open311/simulator/serve.ts";
import type { SiltaConfig } from "../../src/config/config.ts";
import type { Logger } from "../../src/domain/deps.ts";
import { createCaseSystem } from "../../src/runtime/case-system.ts";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe("the case system as Silta builds it", () => {
  it("says out loud when more cases share one second than Helsinki's 200-row cap lets it read", async () => {
    const server = await startHelsinkiSimulator({ seed: 3, now: () => NOW });
    closers.push(() => server.close());
    // 230 cases updated in the same second: no window can be split below a second.
    server.sim.generateCases(230, { from: NOW - 60_000, to: NOW - 59_500 });
    const said: { level: string; fields: Record<string, unknown>; message?: string }[] = [];
    const log: Logger = {
      debug() {},
      info() {},
      warn: (fields, message) => said.push({ level: "warn", fields, ...(message ? { message } : {}) }),
      error: (fields, message) => said.push({ level: "error", fields, ...(message ? { message } : {}) }),
    };
    const config = { open311: { url: server.url, apiKey: server.sim.apiKey }, httpTimeoutMs: 5000 } as SiltaConfig;
    const records = await createCaseSystem(config, log).listChangedCases(new Date(NOW - 120_000), new Date(NOW));

    expect(records.length).toBe(200);
    const errors = said.filter((s) => s.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.fields).toMatchObject({ rows: 200 });
    expect(errors[0]?.message).toMatch(/row cap/);
  });
});
