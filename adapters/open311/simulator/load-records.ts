import { readFile } from "node:fs/promises";
import { extractWireRecords } from "./extract-records.ts";
import type { HelsinkiSimulator } from "./helsinki-simulator.ts";

/**
 * Node only: loads real (or hand-written) GeoReport v2 records from a JSON file into a simulator.
 * The file may hold a list response, a single record, or an object whose values are record lists
 * (like `helsinki-doc-examples.json`). Rows that are not cases are skipped and reported.
 */
export async function loadRecordsFromFile(
  path: string,
  sim: HelsinkiSimulator,
): Promise<{ added: number; rejected: Array<{ index: number; reason: string }> }> {
  const json: unknown = JSON.parse(await readFile(path, "utf8"));
  return sim.addCases(extractWireRecords(json));
}
