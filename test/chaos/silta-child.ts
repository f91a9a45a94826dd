/**
 * Silta as the chaos harness runs it: the Node runtime with test-sized leases and retries, a
 * crash point that kills this very process (SIGKILL, no clean-up) at a labelled step, and a
 * graceful stop on SIGTERM. Prints `{"url"}` once it listens.
 *
 * Environment besides Silta's own: SILTA_CRASH_AT (a label from crash-points.ts) and
 * SILTA_CRASH_AFTER (die at that label's n-th hit, default 1); SILTA_CHAOS_KEY_TARGETS (targets
 * that de-duplicate creates by key, set in a copy of targets.yaml); SILTA_CHAOS_POLL (0: this process does not poll).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { parseConfig, targetEnvPrefix } from "../../src/config/config.ts";
import { type CrashPointLabel, isCrashPointLabel } from "../../src/domain/jobs/crash-points.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import { startSiltaNode } from "../../src/runtime/node-silta.ts";

// Whether Stara honours Idempotency-Key varies by seed: the harness names the targets that do,
// and this process runs on a copy of the mappings whose targets.yaml says so in their policy.
const keyTargets = (process.env.SILTA_CHAOS_KEY_TARGETS ?? "").split(",").filter(Boolean);
const mappingsDir = mkdtempSync(join(tmpdir(), "silta-chaos-mappings-"));
cpSync(process.env.SILTA_MAPPINGS_DIR ?? "mappings", mappingsDir, { recursive: true });
const targetsFile = parseDocument(readFileSync(join(mappingsDir, "targets.yaml"), "utf8"));
const targetList = targetsFile.get("targets") as {
  items: { get(key: string): unknown; set(key: string, value: unknown): void }[];
};
for (const item of targetList.items) {
  if (keyTargets.includes(String(item.get("id")))) item.set("policy", { honoursIdempotencyKey: true });
}
writeFileSync(join(mappingsDir, "targets.yaml"), targetsFile.toString());
process.env.SILTA_MAPPINGS_DIR = mappingsDir;
const mappings = loadMappingsFromDir(mappingsDir);
// The simulators listen on loopback: every target is opted into private addresses (S5's guard).
const allowPrivate = Object.fromEntries(
  [...mappings.targets.keys()].map((id) => [`${targetEnvPrefix(id)}ALLOW_PRIVATE`, "true"]),
);
const config = parseConfig({ ...allowPrivate, ...process.env }, [...mappings.targets.values()]);
const crashAt = process.env.SILTA_CRASH_AT ?? "";
if (crashAt && !isCrashPointLabel(crashAt)) throw new Error(`SILTA_CRASH_AT: unknown label ${crashAt}`);
const crashAfter = Number(process.env.SILTA_CRASH_AFTER ?? "1");
let hits = 0;

const silta = await startSiltaNode(config, {
  schedule: process.env.SILTA_CHAOS_POLL !== "0",
  settings: {
    // Calls time out after 2 s (SILTA_HTTP_TIMEOUT_MS): the lease must outlast one call with room.
    leaseMs: 5_000,
    heartbeatMs: 1_000,
    retry: { baseMs: 200, capMs: 2_000, horizonMs: 30 * 60_000 },
    breaker: { failureThreshold: 8, openMs: 1_000 },
    budget: { ratio: 0.1, floor: 50, windowMs: 10_000 },
    pollOverlapMs: 15_000,
  },
  crashPoint: (label: CrashPointLabel) => {
    if (label !== crashAt) return;
    hits++;
    if (hits >= crashAfter) process.kill(process.pid, "SIGKILL");
  },
});
process.stdout.write(`${JSON.stringify({ url: silta.url })}\n`);

const stop = (): void => {
  silta.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
