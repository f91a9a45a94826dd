import { fileURLToPath } from "node:url";
import { createSharpSanitizer } from "../../adapters/photos/sharp-sanitizer.ts";
import type { Database } from "../../src/db/client.ts";
import {
  DEFAULT_ENGINE_SETTINGS,
  type EngineSettings,
  noopMetrics,
  type SiltaDeps,
  silentLogger,
} from "../../src/domain/deps.ts";
import { createDatabasePhotoStore } from "../../src/domain/photos/database-store.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import type { CaseSystem } from "../../src/ports/case-system.ts";
import type { WorkOrderSystem } from "../../src/ports/work-order-system.ts";

export const MAPPINGS_DIR = fileURLToPath(new URL("../../mappings", import.meta.url));

/** Deps for core tests: the shipped mappings, quick retries, silent logs. */
export function makeDeps(
  database: Database,
  caseSystem: CaseSystem,
  targets: WorkOrderSystem[],
  settings: Partial<EngineSettings> = {},
): SiltaDeps {
  return {
    database,
    mappings: loadMappingsFromDir(MAPPINGS_DIR),
    caseSystem,
    targets: new Map(targets.map((t) => [t.targetId, t])),
    settings: {
      ...DEFAULT_ENGINE_SETTINGS,
      workerId: `test-${Math.random().toString(36).slice(2, 8)}`,
      retry: { baseMs: 1, capMs: 5, horizonMs: 60_000 },
      leaseMs: 10_000,
      ...settings,
    },
    log: silentLogger,
    metrics: noopMetrics,
    now: () => new Date(),
    // Photos as the Node runtime takes them: sharp's check, the database store.
    photos: {
      store: createDatabasePhotoStore(database),
      sanitizer: createSharpSanitizer(),
      maxBytes: 10 * 1024 * 1024,
      publicBaseUrl: "http://silta.test",
    },
  };
}

/** Runs background work until a round finds nothing to do (bounded). */
export async function drain(
  deps: SiltaDeps,
  run: (deps: SiltaDeps) => Promise<{ idle: boolean }>,
  maxRounds = 50,
): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    const { idle } = await run(deps);
    if (idle) return round;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`work did not settle in ${maxRounds} rounds`);
}
