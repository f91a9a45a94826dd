/**
 * The reconciliation benchmark (`npm run bench:reconcile -- [--links 100000] [--db URL_OR_PATH] [--json]`):
 * seeds N open links with bulk SQL, puts matching orders in an in-process target (most equal, a
 * few drifted) and a case system, runs reconciliation twice (the second run finds the same
 * drift and changes nothing but last-seen times) and prints the times and findings, then a third
 * time to measure the heap it holds (with --expose-gc, which `npm run bench:reconcile` passes). Figures are
 * printed, never asserted: see README "Performance".
 *
 * With a postgres:// URL the benchmark works in a database of its own, created beside the given
 * one and dropped afterwards; with a folder it uses a fresh PGlite there (default bench/.tmp/reconcile).
 */
import { rmSync } from "node:fs";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import type { Database } from "../src/db/client.ts";
import { migrateDatabase } from "../src/db/migrate-node.ts";
import { openDatabase } from "../src/db/open-node.ts";
import { DEFAULT_ENGINE_SETTINGS, noopMetrics, type SiltaDeps, silentLogger } from "../src/domain/deps.ts";
import { reconcileOpenLinks } from "../src/domain/reconcile/reconcile.ts";
import { loadMappingsFromDir } from "../src/mappings/load-node.ts";
import type { CaseRecord, CaseSystem } from "../src/ports/case-system.ts";
import type { FieldEvent, RemoteWorkOrder, WorkOrderPage, WorkOrderSystem } from "../src/ports/work-order-system.ts";

const HELP = `Usage: npm run bench:reconcile -- [--links N] [--db URL_OR_PATH] [--json]
  --links N     open links to seed (default 100000)
  --page N      links read per page (default: Silta's, 1000)
  --db X        postgres://… (a scratch database is created beside it) or a PGlite folder (default bench/.tmp/reconcile)
  --json        print the result as one JSON line on stdout
`;

function parseArgs(argv: string[]): { links: number; page: number | undefined; db: string; json: boolean } | "help" {
  const out: { links: number; page: number | undefined; db: string; json: boolean } = {
    links: 100_000,
    page: undefined,
    db: "bench/.tmp/reconcile",
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--json") out.json = true;
    else if (arg === "--links") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error("--links expects a whole number ≥ 1");
      out.links = n;
    } else if (arg === "--page") {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error("--page expects a whole number ≥ 1");
      out.page = n;
    } else if (arg === "--db") {
      const value = argv[++i];
      if (!value) throw new Error("--db expects a postgres:// URL or a folder");
      out.db = value;
    } else if (arg !== "--") throw new Error(`unknown argument ${arg} (see --help)`);
  }
  return out;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Every 1000th link drifts in one of these ways; the rest agree. */
const DRIFT_EVERY = 1000;
type Drift = "dropped" | "ahead" | "behind" | "write_back_lost";
const DRIFTS: Drift[] = ["dropped", "ahead", "behind", "write_back_lost"];
const STRAYS = 10;

function driftOf(i: number): Drift | null {
  return i % DRIFT_EVERY === 0 ? (DRIFTS[(i / DRIFT_EVERY) % DRIFTS.length] ?? null) : null;
}

/** A target that lists (Stara-like) or only looks up (contractor-like), answering from memory. */
function memoryTarget(targetId: string, orders: Map<string, RemoteWorkOrder>, listing: boolean): WorkOrderSystem {
  const all = () => [...orders.values()];
  let snapshot: RemoteWorkOrder[] | null = null;
  return {
    targetId,
    async createWorkOrder(): Promise<RemoteWorkOrder> {
      throw new Error("the benchmark does not create");
    },
    async findByExternalRef(ref) {
      return orders.get(ref) ?? null;
    },
    async cancelWorkOrder() {},
    async verifyWebhook(): Promise<FieldEvent[]> {
      return [];
    },
    ...(listing
      ? {
          async listWorkOrders(cursor: string | null): Promise<WorkOrderPage> {
            if (cursor === null) snapshot = all();
            const items = snapshot ?? [];
            const start = cursor === null ? 0 : Number(cursor);
            const end = start + 1000;
            return { items: items.slice(start, end), nextCursor: end < items.length ? String(end) : null };
          },
        }
      : {}),
  };
}

/**
 * What the run holds: every 50 ms a full collection, then the heap in use, above where it was
 * before the run (the seeded systems live in this process too, so RSS alone would not tell).
 * Collections slow the run down, so its time is not the benchmark's figure; without
 * `--expose-gc` nothing is sampled.
 */
function sampleLiveHeap(): { stop: () => number | null } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { stop: () => null };
  gc();
  const start = process.memoryUsage().heapUsed;
  let peak = start;
  const sample = () => {
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.round((peak - start) / 1_048_576);
    },
  };
}

async function openScratch(db: string): Promise<{ database: Database; label: string; drop: () => Promise<void> }> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    const name = `silta_bench_reconcile_${Date.now().toString(36)}`;
    const admin = postgres(db, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(db);
    url.pathname = `/${name}`;
    const database = await openDatabase({ url: url.toString() }, { maxConnections: 10 });
    return {
      database,
      label: `PostgreSQL server (${url.host})`,
      drop: async () => {
        await database.close();
        const cleanup = postgres(db, { max: 1, onnotice: () => {} });
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
        await cleanup.end();
      },
    };
  }
  rmSync(db, { recursive: true, force: true });
  const database = await openDatabase({ dataDir: db });
  return { database, label: `PGlite (${db})`, drop: () => database.close() };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args === "help") {
    process.stdout.write(HELP);
    return;
  }
  const { database, label, drop } = await openScratch(args.db);
  try {
    await migrateDatabase(database);
    const n = args.links;
    log(`${label}: seeding ${n} open links…`);
    const seedStarted = performance.now();
    // Nine in ten at Stara (listed page by page), one in ten at a contractor (looked up one by one).
    await database.rows(sql`
      insert into cases (id, service_code, status, desk_status, works_status, snapshot, snapshot_hash, disposition)
      select 'b' || lpad(i::text, 19, '0'), '171', 'open', 'PROCESSED', 'PUBLIC_WORKS_NEW',
        jsonb_build_object('requestedAt', to_char(now() - interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SSOF')), 'seed', 'routed'
      from generate_series(1, ${n}) i`);
    await database.rows(sql`
      insert into links (case_id, target, external_ref, work_order_id, state, field_status, field_status_code, field_status_at, written_back_status, written_back_at)
      select 'b' || lpad(i::text, 19, '0'), t.target, 'helsinki:b' || lpad(i::text, 19, '0') || ':' || t.target, 'WO-' || i,
        'forwarded', 'received', t.code, now(), 'received', now()
      from generate_series(1, ${n}) i
      cross join lateral (select case when i % 10 = 0 then 'contractor-east' else 'stara' end as target,
                                 case when i % 10 = 0 then 'RECEIVED' else 'VASTAANOTETTU' end as code) t`);
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const stara = new Map<string, RemoteWorkOrder>();
    const east = new Map<string, RemoteWorkOrder>();
    const cases = new Map<string, CaseRecord>();
    const expected: Record<string, number> = {
      missing_in_target: 0,
      status_differs: 0,
      write_back_missing: 0,
      missing_in_source: STRAYS,
    };
    for (let i = 1; i <= n; i++) {
      const id = `b${String(i).padStart(19, "0")}`;
      const contractor = i % 10 === 0;
      const target = contractor ? "contractor-east" : "stara";
      const ref = `helsinki:${id}:${target}`;
      const drift = driftOf(i);
      const code = contractor
        ? drift === "ahead"
          ? "IN_PROGRESS"
          : drift === "behind"
            ? "SENT"
            : "RECEIVED"
        : drift === "ahead"
          ? "TYÖN_ALLA"
          : drift === "behind"
            ? "UUSI"
            : "VASTAANOTETTU";
      if (drift === "dropped") expected.missing_in_target = (expected.missing_in_target ?? 0) + 1;
      else (contractor ? east : stara).set(ref, { workOrderId: `WO-${i}`, externalRef: ref, statusCode: code });
      if (drift === "ahead" || drift === "behind") expected.status_differs = (expected.status_differs ?? 0) + 1;
      if (drift === "write_back_lost") expected.write_back_missing = (expected.write_back_missing ?? 0) + 1;
      cases.set(id, { serviceRequestId: id, worksStatus: drift === "write_back_lost" ? null : "PUBLIC_WORKS_NEW" } as CaseRecord);
    }
    for (let s = 1; s <= STRAYS; s++) {
      stara.set(`stray-${s}`, { workOrderId: `ST-STRAY-${s}`, externalRef: `helsinki:stray-${s}:stara`, statusCode: "UUSI" });
    }
    const caseSystem: CaseSystem = {
      async listChangedCases() {
        return [];
      },
      async getCase(id) {
        return cases.get(id) ?? null;
      },
      async getCases(ids) {
        return ids.flatMap((id) => cases.get(id) ?? []);
      },
      async postStatusUpdate(update) {
        return { updateId: update.updateId };
      },
    };
    const targets = [
      memoryTarget("stara", stara, true),
      memoryTarget("contractor-east", east, false),
      memoryTarget("contractor-west", new Map(), false),
    ];
    const deps: SiltaDeps = {
      database,
      mappings: loadMappingsFromDir("mappings"),
      caseSystem,
      targets: new Map(targets.map((t) => [t.targetId, t])),
      settings: { ...DEFAULT_ENGINE_SETTINGS, workerId: "bench-reconcile" },
      log: silentLogger,
      metrics: noopMetrics,
      now: () => new Date(),
    };

    const runs = [];
    let liveHeapMb: number | null = null;
    for (const name of ["first", "again", "held"]) {
      const held = name === "held" ? sampleLiveHeap() : null;
      const started = performance.now();
      const report = await reconcileOpenLinks(deps, {
        repair: false,
        ...(args.page ? { pageSize: args.page } : {}),
        onProgress: (step) => log(`  ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s ${step}`),
      });
      const seconds = (performance.now() - started) / 1000;
      if (held) {
        liveHeapMb = held.stop();
        log(`${label}: a third run, collecting every 50 ms, held at most ${liveHeapMb ?? "?"} MB of heap over its start`);
        continue;
      }
      log(
        `${label}: ${name} run over ${report.links} links: ${seconds.toFixed(1)} s, ${report.findings.seen} findings (${report.findings.opened} new)`,
      );
      runs.push({ run: name, seconds: Math.round(seconds * 100) / 100, links: report.links, findings: report.findings });
    }
    const found = runs[0]?.findings.byKind ?? {};
    const allFound = Object.entries(expected).every(([kind, count]) => (found as Record<string, number>)[kind] === count);
    const result = {
      db: label,
      links: n,
      seedSeconds: Math.round(seedSeconds * 100) / 100,
      runs,
      expectedDrift: expected,
      allDriftFound: allFound,
      memoryMb: Math.round(process.memoryUsage().rss / 1_048_576),
      liveHeapMb,
    };
    if (args.json) console.log(JSON.stringify(result));
    else console.log(JSON.stringify(result, null, 2));
    if (!allFound) process.exitCode = 1;
  } finally {
    await drop();
  }
}

try {
  await main();
} catch (error) {
  console.error(`bench:reconcile: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
