/**
 * The end-to-end benchmark (`npm run bench`): round trips per second, per-hop latency, memory,
 * storage and HTTP cost per case, against the machine's own ceilings measured in the same run.
 * Figures are printed, never asserted: see README "Performance".
 */

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { migrateDatabase } from "../src/db/migrate-node.ts";
import { openDatabase, parseDatabaseTarget } from "../src/db/open-node.ts";
import { BENCH_HELP, type BenchArgs, parseBenchArgs } from "./lib/args.ts";
import { ceilingBound, measureCommitCeiling, measureHttpCeiling } from "./lib/ceilings.ts";
import { measureAutocannon, measurePgbench, type OutsideCeilings } from "./lib/outside-ceilings.ts";
import { type RoundTripResult, runRoundTrip, WARMUP_MS } from "./lib/round-trip.ts";
import { printTargets, type TargetRow, targetRows } from "./lib/targets.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const args = parseBenchArgs(process.argv.slice(2));
if (args === "help") {
  process.stdout.write(BENCH_HELP);
  process.exit(0);
}
const log = (line: string) => process.stderr.write(`${line}\n`);

interface DbReport {
  db: string;
  kind: "postgres" | "pglite";
  runs: RoundTripResult[];
  ceilings: { commitsPerSecond: number; minimalServerRps: number; simulatorEndpointRps: number | null };
  ratios: { throughputToCommitCeiling: number; throughputToHttpCeiling: number };
  /**
   * The most round trips/s the ceilings allow at each run's cost per round trip, were a round
   * trip nothing but its commits and HTTP calls: 1 / (commits / commit ceiling + calls / HTTP
   * ceiling). Each ceiling was measured with the whole machine, so their shares add up.
   */
  ceilingBound: { workers: number; roundTripsPerSecond: number | null }[];
  reconciliation100k: unknown;
  noisyNeighbour: NoisyNeighbour | null;
}

interface NoisyNeighbour {
  deadTarget: string;
  /** Intake → work order p95 (ms) of the other targets, with the target healthy and with it dead. */
  othersP95Healthy: number;
  othersP95WithDead: number;
  /** R7 asks for ≤ 1.10. */
  ratio: number;
}

const reports: DbReport[] = [];
for (const db of args.dbs) {
  const kind = /^postgres(ql)?:\/\//.test(db) ? "postgres" : "pglite";
  const label = kind === "postgres" ? db.replace(/\/\/[^@/]*@/, "//") : `PGlite (${db})`;
  const runs: RoundTripResult[] = [];
  for (const workers of kind === "postgres" ? args.workers : [1]) {
    log(
      `${label}: ${args.cases} cases at ${args.rate}/s with ${workers} Silta process(es), ${args.push ? "pushed and polled" : "polled"}…`,
    );
    const result = await runRoundTrip({
      db,
      workers,
      cases: args.cases,
      rate: args.rate,
      seed: args.seed,
      push: args.push,
      log,
    });
    log(
      `  ${result.roundTripsPerSecond} round trips/s, intake→work order p99 ${result.hops.intakeToWorkOrder.p99} ms, peak RSS ${result.peakRssMb.join("/")} MB`,
    );
    for (const m of result.memory)
      log(
        `  memory: idle RSS ${m.idleRssMb} MB; RSS at 10/50/100 % of round trips ${m.rssAtMb.p10}/${m.rssAtMb.p50}/${m.rssAtMb.p100} MB; peaks: RSS ${m.peakRssMb}, heap total ${m.peakHeapTotalMb}, heap used ${m.peakHeapUsedMb}, external ${m.peakExternalMb} MB`,
      );
    runs.push(result);
  }

  let noisyNeighbour: NoisyNeighbour | null = null;
  if (args.noisyNeighbour && kind === "postgres") {
    const deadTarget = args.noisyNeighbour;
    log(`${label}: noisy neighbour: ${deadTarget} healthy, then answering 503 to everything…`);
    const common = { db, workers: 1, cases: args.cases, rate: args.rate, seed: args.seed, log };
    const healthy = await runRoundTrip({ ...common, excludeFromHops: deadTarget });
    const dead = await runRoundTrip({ ...common, deadTarget });
    const a = healthy.hops.intakeToWorkOrder.p95 ?? 0;
    const b = dead.hops.intakeToWorkOrder.p95 ?? 0;
    noisyNeighbour = { deadTarget, othersP95Healthy: a, othersP95WithDead: b, ratio: Math.round((b / a) * 100) / 100 };
    log(
      `  others' intake→work order p95: ${a} ms healthy, ${b} ms with ${deadTarget} dead (×${Math.round((b / a) * 100) / 100})`,
    );
  }
  if (args.roundTripOnly) {
    reports.push({
      db: label,
      kind,
      runs,
      ceilings: { commitsPerSecond: 0, minimalServerRps: 0, simulatorEndpointRps: null },
      ratios: { throughputToCommitCeiling: 0, throughputToHttpCeiling: 0 },
      ceilingBound: [],
      reconciliation100k: "skipped (--round-trip-only)",
      noisyNeighbour,
    });
    continue;
  }

  log(`${label}: measuring ceilings…`);
  const probe = await openDatabase(parseDatabaseTarget(kind === "postgres" ? db : `${db}-ceiling`));
  await migrateDatabase(probe);
  const commitsPerSecond = await measureCommitCeiling(probe, kind === "postgres" ? 16 : 1);
  await probe.close();
  const http = await measureHttpCeiling(16, null);

  let reconciliation100k: unknown = "bench/reconcile.ts not present";
  if (existsSync(`${ROOT}/bench/reconcile.ts`)) {
    log(`${label}: reconciliation of 100,000 open links…`);
    const out = spawnSync(
      process.execPath,
      [
        "--expose-gc",
        `${ROOT}/bench/reconcile.ts`,
        "--json",
        "--links",
        "100000",
        "--db",
        kind === "postgres" ? db : `${db}-reconcile`,
      ],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 600_000,
      },
    );
    try {
      reconciliation100k = JSON.parse(out.stdout.trim().split("\n").at(-1) ?? "null");
    } catch {
      reconciliation100k = { error: `exit ${out.status}: ${out.stderr.slice(-500)}` };
    }
  }
  const best = Math.max(...runs.map((r) => r.roundTripsPerSecond));
  reports.push({
    db: label,
    kind,
    runs,
    ceilings: { commitsPerSecond, ...http },
    ratios: {
      throughputToCommitCeiling: Math.round((best / commitsPerSecond) * 1000) / 1000,
      throughputToHttpCeiling: Math.round((best / http.minimalServerRps) * 1000) / 1000,
    },
    ceilingBound: runs.map((run) => {
      const { commits, httpCalls } = run.perRoundTrip;
      return {
        workers: run.workers,
        roundTripsPerSecond:
          commits === null
            ? null
            : ceilingBound({ commits, httpCalls }, { commitsPerSecond, requestsPerSecond: http.minimalServerRps }),
      };
    }),
    reconciliation100k,
    noisyNeighbour,
  });
}

/**
 * Issue 23's targets: each figure from the requested runs where they measured it, else from a run
 * made for it here (two processes; one pushed at 200 cases/s), and the outside ceilings.
 */
async function collectTargets(
  a: BenchArgs,
): Promise<{ rows: TargetRow[]; outside: OutsideCeilings; extraRuns: RoundTripResult[] } | null> {
  const serverUrl = a.dbs.find((db) => /^postgres(ql)?:\/\//.test(db));
  if (!serverUrl) return null;
  const server = reports.find((r) => r.kind === "postgres");
  const pglite = reports.find((r) => r.kind === "pglite");
  const common = { db: serverUrl, cases: a.cases, seed: a.seed, log };
  const extraRuns: RoundTripResult[] = [];
  const extra = async (what: string, options: { workers: number; rate: number; push: boolean }) => {
    log(`targets: ${what}…`);
    const run = await runRoundTrip({ ...common, ...options });
    log(`  ${run.roundTripsPerSecond} round trips/s, intake→work order p99 ${run.hops.intakeToWorkOrder.p99} ms`);
    extraRuns.push(run);
    return run;
  };
  const server1 = server?.runs.find((r) => r.workers === 1) ?? null;
  const server2 =
    server?.runs.find((r) => r.workers === 2) ??
    (await extra(`2 Silta processes, ${a.cases} cases at ${a.rate}/s`, { workers: 2, rate: a.rate, push: a.push }));
  const pushed200 =
    server?.runs.find((r) => r.workers === 1 && r.intake === "push" && r.arrivalRate === 200) ??
    (await extra(`1 Silta process, ${a.cases} cases pushed at 200/s`, { workers: 1, rate: 200, push: true }));
  log("targets: outside ceilings (pgbench, autocannon)…");
  const outside: OutsideCeilings = { pgbench: await measurePgbench(serverUrl), autocannon: await measureAutocannon() };
  const rows = targetRows({ server1, server2, pushed200, pglite: pglite?.runs[0] ?? null, outside });
  return { rows, outside, extraRuns };
}

const targets = args.targets ? await collectTargets(args) : null;

const result = {
  machine: { cores: cpus().length, node: process.version },
  cases: args.cases,
  arrivalRate: args.rate,
  seed: args.seed,
  intake: args.push ? "push" : "poll",
  databases: reports,
  targets,
};
if (args.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  for (const r of reports) {
    console.log(`\n${r.db}`);
    console.log(
      "  workers  trips/s  intake→WO p50/p95/p99 ms   event→write-back p50/p95/p99 ms   peak RSS MB   rows/case  bytes/case  HTTP/case",
    );
    for (const run of r.runs) {
      const a = run.hops.intakeToWorkOrder;
      const b = run.hops.fieldEventToWriteBack;
      console.log(
        `  ${String(run.workers).padStart(7)}  ${String(run.roundTripsPerSecond).padStart(7)}  ${`${a.p50}/${a.p95}/${a.p99}`.padStart(24)}   ${`${b.p50}/${b.p95}/${b.p99}`.padStart(31)}   ${run.peakRssMb.join("/").padStart(11)}   ${String(run.rowsPerCase).padStart(9)}  ${String(run.bytesPerCase).padStart(10)}  ${String(run.httpCallsPerCase).padStart(9)}`,
      );
    }
    for (const run of r.runs) {
      const { intakeToStored: s, storedToWorkOrder: w, warmupIntakeToWorkOrder: c } = run.hops;
      const { warmupIntakeToStored: cs, warmupStoredToWorkOrder: cw } = run.hops;
      console.log(
        `  intake→WO split, ${run.workers} process(es), ${run.intake}: case appeared → stored p50/p95/p99 ${s.p50}/${s.p95}/${s.p99} ms; stored → work order ${w.p50}/${w.p95}/${w.p99} ms; first ${WARMUP_MS / 1000} s (cold, not in the table) ${c.p50}/${c.p95}/${c.p99} ms, split ${cs.p50}/${cs.p95}/${cs.p99} + ${cw.p50}/${cw.p95}/${cw.p99} ms`,
      );
    }
    for (const run of r.runs) {
      const c = run.perRoundTrip;
      const server =
        c.transactions === null
          ? ""
          : `, ${c.transactions} transactions (${c.commits ?? "?"} writing), ${c.walFlushes} WAL flushes, ${Math.round((c.walBytes ?? 0) / 102.4) / 10} kB of WAL`;
      console.log(
        `  cost per round trip, ${run.workers} process(es): CPU ${c.cpuMs.machine} ms on the machine (Silta ${c.cpuMs.silta}, simulators ${c.cpuMs.simulators}, database and the rest ${c.cpuMs.rest}), ${c.httpCalls} HTTP calls${server}`,
      );
    }
    for (const run of r.runs)
      for (const [i, m] of run.memory.entries())
        console.log(
          `  memory, ${run.workers} process(es), #${i + 1}: idle ${m.idleRssMb} MB, RSS at 10/50/100 % ${m.rssAtMb.p10}/${m.rssAtMb.p50}/${m.rssAtMb.p100} MB, peak heap used ${m.peakHeapUsedMb} MB, external ${m.peakExternalMb} MB`,
        );
    console.log(
      `  ceilings: ${r.ceilings.commitsPerSecond} commits/s, ${r.ceilings.minimalServerRps} loopback requests/s (minimal server)`,
    );
    console.log(
      `  ratios: throughput/commit ceiling ${r.ratios.throughputToCommitCeiling}, throughput/HTTP ceiling ${r.ratios.throughputToHttpCeiling}`,
    );
    for (const b of r.ceilingBound)
      if (b.roundTripsPerSecond !== null)
        console.log(
          `  the ceilings allow at most ${b.roundTripsPerSecond} round trips/s at the commits and HTTP calls of a round trip with ${b.workers} process(es), were it nothing else`,
        );
    console.log(`  reconciliation of 100,000 links: ${JSON.stringify(r.reconciliation100k)}`);
    if (r.noisyNeighbour) {
      const n = r.noisyNeighbour;
      console.log(
        `  noisy neighbour (${n.deadTarget} dead): others' intake→work order p95 ${n.othersP95Healthy} → ${n.othersP95WithDead} ms (×${n.ratio}; R7 asks ≤ 1.10)`,
      );
    }
  }
}
// With --json the table goes to stderr, so that stdout stays one JSON object.
if (targets) {
  if (args.json) {
    const write = console.log;
    console.log = (...items: unknown[]) => process.stderr.write(`${items.join(" ")}\n`);
    printTargets(targets.rows);
    console.log = write;
  } else printTargets(targets.rows);
}
