import { parseArgs } from "node:util";
import { Hono } from "hono";
import { startHttpServer } from "../../../src/runtime/node-serve.ts";
import { createHelsinkiSimulator, type HelsinkiSimulator, type HelsinkiSimulatorOptions } from "./helsinki-simulator.ts";
import { loadRecordsFromFile } from "./load-records.ts";
import { isSimulatorProfileName, SIMULATOR_PROFILE_NAMES } from "./profiles.ts";

/** Node only: puts the Helsinki simulator on a loopback port. */

export interface RunningHelsinkiSimulator {
  /** Base URL without a trailing slash; the Open311 client's `baseUrl`. */
  url: string;
  close(): Promise<void>;
  sim: HelsinkiSimulator;
}

export interface StartHelsinkiSimulatorOptions extends HelsinkiSimulatorOptions {
  /** Loopback port; 0 or absent picks a free one. */
  port?: number;
  /** JSON files of GeoReport v2 records to load before serving (see `loadRecordsFromFile`). */
  recordsFiles?: readonly string[];
}

/** Starts a Helsinki simulator on loopback, optionally preloaded with records from files. */
export async function startHelsinkiSimulator(options: StartHelsinkiSimulatorOptions = {}): Promise<RunningHelsinkiSimulator> {
  const { port, recordsFiles = [], ...simOptions } = options;
  const sim = createHelsinkiSimulator(simOptions);
  for (const file of recordsFiles) await loadRecordsFromFile(file, sim);
  const server = await startHttpServer(sim.app, port !== undefined ? { port } : {});
  return { url: server.url, close: () => server.close(), sim };
}

/**
 * Runs the Helsinki simulator as its own process, as the chaos harness does:
 * `node adapters/open311/simulator/serve.ts --port 0 --seed 7 [--profile helsinki|generic]
 * [--unpublished-share 0.7] [--bad-record-share 0.02] [--late-published-share 0.1 --moderation-delay-ms 20000]`
 * (bad records: NUL characters and empty service codes, each at that share; late publication
 * keeps the update time, the miss a public-list poller makes). Prints one JSON line
 * `{"url", "apiKey"}` once it listens; stops on SIGTERM. Besides the simulator's own routes it
 * serves what a harness in another process needs: `POST /__sim/generate {n, fromMs, toMs}`,
 * `POST /__sim/cases/:id/cancel`, and the ground truth `GET /__sim/cases` (ids, published, desk status),
 * `GET /__sim/updates` and `GET /__sim/canaries` (planted personal data, to scan outputs for).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      seed: { type: "string", default: process.env.SEED ?? "1" },
      profile: { type: "string", default: "helsinki" },
      "unpublished-share": { type: "string", default: "0" },
      "bad-record-share": { type: "string", default: "0" },
      "late-published-share": { type: "string", default: "0" },
      "moderation-delay-ms": { type: "string", default: "0" },
    },
  });
  if (!isSimulatorProfileName(values.profile)) {
    throw new Error(`--profile must be one of ${SIMULATOR_PROFILE_NAMES.join(", ")}, got ${values.profile}`);
  }
  const sim = createHelsinkiSimulator({
    seed: Number(values.seed),
    profile: values.profile,
    unpublishedShare: Number(values["unpublished-share"]),
    badRecords: { nulShare: Number(values["bad-record-share"]), emptyServiceCodeShare: Number(values["bad-record-share"]) },
    latePublishedShare: Number(values["late-published-share"]),
    moderationDelayMs: Number(values["moderation-delay-ms"]),
    knobs: { publishKeepsUpdatedTime: Number(values["late-published-share"]) > 0 },
  });
  const root = new Hono();
  root.post("/__sim/generate", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { n?: number; fromMs?: number; toMs?: number };
    const now = Date.now();
    const generated = sim.generateCases(Math.max(0, Math.min(100_000, Number(body.n ?? 0))), {
      from: body.fromMs ?? now - 60_000,
      to: body.toMs ?? now,
      fieldStatusWeights: [
        ["RECEIVED", 60],
        ["IN_PROCESS", 35],
        ["PROCESSED,PUBLIC_WORKS_NEW", 5],
      ],
    });
    return c.json({ ids: generated.map((g) => g.record.service_request_id) });
  });
  root.post("/__sim/cases/:id/cancel", (c) =>
    sim.cancelCase(c.req.param("id"), "Peruttu.") ? c.json({ ok: true }) : c.json({ error: "not_found" }, 404),
  );
  root.get("/__sim/cases", (c) =>
    c.json({
      cases: [...sim.store.cases.entries()].map(([id, stored]) => ({
        id,
        published: stored.publishAt === null,
        detailedStatus: (stored.record as { extended_attributes?: { detailed_status?: string } }).extended_attributes
          ?.detailed_status,
      })),
    }),
  );
  root.get("/__sim/updates", (c) => c.json({ updates: [...sim.store.updates.values()] }));
  root.get("/__sim/canaries", (c) => {
    const values: string[] = [];
    for (const stored of sim.store.cases.values()) {
      const planted = stored.plantedPersonalData;
      if (!planted) continue;
      for (const person of [planted.inDescription, planted.reporter]) {
        if (person) values.push(person.email, person.phone, `${person.firstName} ${person.lastName}`);
      }
      if (planted.inDescription) values.push(planted.inDescription.personalIdentityCode);
    }
    return c.json({ canaries: values });
  });
  root.route("/", sim.app);
  const server = await startHttpServer(root, { port: Number(values.port) });
  process.stdout.write(`${JSON.stringify({ url: server.url, apiKey: sim.apiKey })}\n`);
  const shutdown = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

if (import.meta.main) await main();
