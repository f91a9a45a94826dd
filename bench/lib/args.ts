import { parseArgs } from "node:util";

export interface BenchArgs {
  json: boolean;
  cases: number;
  /** Databases to run on: a postgres:// URL and/or a PGlite folder; default both. */
  dbs: string[];
  workers: number[];
  /** Cases arriving per second. */
  rate: number;
  seed: number;
  /** Also run the noisy-neighbour pair (R7) with this contractor dead; null: skip it. */
  noisyNeighbour: string | null;
  /** Round trips only: skip the ceilings and the reconciliation figure (quick comparisons). */
  roundTripOnly: boolean;
  /** Intake by push (the simulator posts each case to /intake/open311) as well as the poll. */
  push: boolean;
  /** Print issue 23's targets, running what the requested runs did not measure (and the outside ceilings). */
  targets: boolean;
}

const DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/test";

/** Parses `npm run bench -- [--json] [--cases N] [--db URL_OR_PATH]… [--workers 1,2,4] [--rate R] [--seed S] [--push]`. */
export function parseBenchArgs(argv: string[]): BenchArgs | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      cases: { type: "string", default: "2000" },
      db: { type: "string", multiple: true },
      workers: { type: "string", default: "1,2,4" },
      seed: { type: "string", default: "1" },
      rate: { type: "string", default: "300" },
      "noisy-neighbour": { type: "string" },
      "round-trip-only": { type: "boolean", default: false },
      push: { type: "boolean", default: false },
      "skip-targets": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const cases = Number(values.cases);
  if (!Number.isInteger(cases) || cases < 10) throw new Error(`--cases: expected a whole number ≥ 10, got "${values.cases}"`);
  const workers = values.workers.split(",").map(Number);
  if (workers.some((w) => !Number.isInteger(w) || w < 1 || w > 8))
    throw new Error(`--workers: expected a list like 1,2,4 (1–8), got "${values.workers}"`);
  return {
    json: values.json,
    cases,
    dbs: values.db && values.db.length > 0 ? values.db : [process.env.DATABASE_URL ?? DEFAULT_SERVER, "bench/.tmp/pglite"],
    workers,
    rate: Number(values.rate),
    seed: Number(values.seed),
    noisyNeighbour: values["noisy-neighbour"] ?? null,
    roundTripOnly: values["round-trip-only"],
    push: values.push,
    targets: !values["skip-targets"],
  };
}

export const BENCH_HELP = `Usage: npm run bench -- [--json] [--cases N] [--db URL_OR_PATH]... [--workers 1,2,4] [--rate R] [--seed S] [--push] [--skip-targets]

Runs the full round trip (case appears in the Open311 simulator → work order created at the
target simulator → status webhooks/events → write-back posted) with Silta as child processes,
and prints throughput, per-hop latency percentiles, peak RSS, rows/bytes and HTTP calls per case,
the cost of one round trip (CPU of Silta, the simulators and the database; HTTP calls; on a
server, transactions, commits and WAL flushes), the loopback HTTP and database commit ceilings
measured in the same run, the ratios, and the most round trips/s those ceilings allow at that cost.

  --cases N        cases per run (default 2000)
  --db X           a postgres:// URL or a PGlite folder; repeat for several (default: the local
                   server ${DEFAULT_SERVER} and bench/.tmp/pglite)
  --workers 1,2,4  Silta process counts to compare on a server (PGlite is one process)
  --rate R         cases arriving per second (default 300): latencies are measured at this load
  --noisy-neighbour TARGET
                   also measure R7 on the server, one Silta process: intake→work order p95 of
                   the other targets with TARGET answering 503 to everything, against a run with
                   TARGET healthy (e.g. contractor-west)
  --round-trip-only  skip the ceilings and the reconciliation figure
  --push           the Open311 simulator also pushes each case to Silta (POST /intake/open311)
                   as it appears; the poll still runs. Intake→work order then measures push.
  --skip-targets   do not print issue 23's targets. By default the bench prints each target with
                   its figure, running what the requested runs did not measure on the server (two
                   processes; one pushed at 200 cases/s), and measures the outside ceilings:
                   pgbench (one-row insert, 8 clients, 5 s) and autocannon (10 connections, 5 s)
                   against a minimal Hono server in its own process
  --json           one JSON object on stdout
`;
