import { startHttpServer } from "../../../src/runtime/node-serve.ts";
import { createHelsinkiSimulator, type HelsinkiSimulator, type HelsinkiSimulatorOptions } from "./helsinki-simulator.ts";
import { loadRecordsFromFile } from "./load-records.ts";

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
