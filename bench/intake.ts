/**
 * Intake alone (`node bench/intake.ts [--cases N] [--db URL_OR_PATH]`): how fast cases read from
 * the case system become cases, links, delivery jobs and ledger entries. Prints cases per second.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { migrateDatabase } from "../src/db/migrate-node.ts";
import { openDatabase, parseDatabaseTarget } from "../src/db/open-node.ts";
import { DEFAULT_ENGINE_SETTINGS, noopMetrics, silentLogger } from "../src/domain/deps.ts";
import { ingestCases } from "../src/domain/intake/ingest.ts";
import { createRng } from "../src/lib/prng.ts";
import { loadMappingsFromDir } from "../src/mappings/load-node.ts";
import type { CaseRecord } from "../src/ports/case-system.ts";

const { values } = parseArgs({
  options: { cases: { type: "string", default: "5000" }, db: { type: "string", default: "bench/.tmp/intake-pglite" } },
});
const n = Number(values.cases);
const target = parseDatabaseTarget(values.db);
if ("dataDir" in target) rmSync(target.dataDir, { recursive: true, force: true });
const database = await openDatabase(target);
await migrateDatabase(database);
if ("url" in target) await database.rows(sql`truncate ledger_entries, inbox_events, outbox_jobs, links, cases restart identity`);
const rng = createRng(1);
const codes = ["171", "172", "174", "176", "180", "198", "199", "211", "234", "246", "2806"];
const records: CaseRecord[] = Array.from({ length: n }, (_, i) => ({
  serviceRequestId: `b${String(i).padStart(19, "0")}`,
  status: "open",
  statusNotes: null,
  serviceCode: rng.pick(codes),
  serviceName: null,
  title: "Kuoppa",
  description: "Syvä kuoppa ajoradalla.",
  agencyResponsible: null,
  requestedAt: "2026-11-20T09:00:00+02:00",
  updatedAt: "2026-11-20T09:00:00+02:00",
  expectedAt: null,
  address: null,
  addressId: null,
  zipcode: null,
  lat: 60.15 + rng.next() * 0.13,
  long: 24.83 + rng.next() * 0.37,
  mediaUrls: [],
  deskStatus: "RECEIVED",
  worksStatus: null,
  detailedStatusRaw: "RECEIVED",
  tasks: [],
  serviceObjectId: null,
  serviceObjectType: null,
  reporter: null,
}));
const deps = {
  database,
  mappings: loadMappingsFromDir("mappings"),
  caseSystem: null as never,
  targets: new Map(),
  settings: { ...DEFAULT_ENGINE_SETTINGS, workerId: "bench" },
  log: silentLogger,
  metrics: noopMetrics,
  now: () => new Date(),
};
const started = performance.now();
const summary = await ingestCases(deps, records);
const seconds = (performance.now() - started) / 1000;
const again = performance.now();
await ingestCases(deps, records);
const unchangedSeconds = (performance.now() - again) / 1000;
console.log(
  JSON.stringify({
    database: database.kind,
    cases: n,
    newCasesPerSecond: Math.round(n / seconds),
    unchangedCasesPerSecond: Math.round(n / unchangedSeconds),
    routed: summary.routed,
    excluded: summary.excluded,
  }),
);
await database.close();
