import { afterEach, describe, expect, it } from "vitest";
import { createOpen311CaseSystem } from "../../adapters/open311/client.ts";
import { startHelsinkiSimulator } from "../../adapters/open311/simulator/serve.ts";
import type { SiltaConfig } from "../../src/config/config.ts";
import type { Logger } from "../../src/domain/deps.ts";
import { createCaseSystem } from "../../src/runtime/case-system.ts";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Cases updated within one second: no window can be split below that in time. */
async function oneBusySecond(cases: number, listCap: number) {
  const server = await startHelsinkiSimulator({ seed: 3, now: () => NOW, listCap });
  closers.push(() => server.close());
  const ids = server.sim
    .generateCases(cases, { from: NOW - 60_000, to: NOW - 59_500 })
    .map((g) => String(g.record.service_request_id));
  return { server, ids };
}

describe("reading a second busier than the source's row cap", () => {
  it("splits it by status and service code and reads every case (Helsinki's cap of 200)", async () => {
    const { server, ids } = await oneBusySecond(230, 200);
    const said: string[] = [];
    const log: Logger = {
      debug() {},
      info() {},
      warn: (_f, m) => said.push(`warn ${m}`),
      error: (_f, m) => said.push(`error ${m}`),
    };
    const config = {
      open311: { url: server.url, apiKey: server.sim.apiKey, pushSecrets: [] as string[] },
      httpTimeoutMs: 5000,
    } as SiltaConfig;
    const records = await createCaseSystem(config, log).listChangedCases(new Date(NOW - 120_000), new Date(NOW));
    expect(new Set(records.map((r) => r.serviceRequestId))).toEqual(new Set(ids));
    expect(said).toEqual([]);
  });

  it("never loses a case silently: what it cannot read even per service code is reported", async () => {
    // A cap of 4 rows makes even one service code's slice overflow.
    const { server, ids } = await oneBusySecond(120, 4);
    const truncated: unknown[] = [];
    const records = await createOpen311CaseSystem({
      baseUrl: server.url,
      cap: 4,
      onTruncatedWindow: (window) => truncated.push(window),
    }).listChangedCases(new Date(NOW - 120_000), new Date(NOW));
    const read = new Set(records.map((r) => r.serviceRequestId));
    expect(read.size).toBeLessThan(ids.length);
    expect(truncated.length).toBeGreaterThan(0);
  });
});
