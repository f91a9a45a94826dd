import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { createContractorSimulator } from "../../adapters/contractor-api/simulator/app.ts";
import { createHelsinkiSimulator } from "../../adapters/open311/simulator/helsinki-simulator.ts";
import { createStaraSimulator } from "../../adapters/stara/simulator/simulator.ts";
import { targetEnvPrefix } from "../../src/config/config.ts";
import type { Database } from "../../src/db/client.ts";
import { migrateDatabase } from "../../src/db/migrate-node.ts";
import { openDatabase, parseDatabaseTarget } from "../../src/db/open-node.ts";
import { issueContractorKey } from "../../src/domain/contractor-gateway.ts";
import { generateWebhookSecret } from "../../src/lib/webhook-signature.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import { type RunningServer, startHttpServer } from "../../src/runtime/node-serve.ts";
import { startServerAccount } from "./commit-account.ts";
import { startCpuAccount } from "./cpu-account.ts";
import { createMemoryCurve, MEMORY_SAMPLE_MS, type MemoryCurve } from "./memory-curve.ts";
import { type Percentiles, percentiles } from "./stats.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = `${ROOT}/src/cli/silta.ts`;
const MEMORY_PROBE = `${ROOT}/bench/lib/memory-probe.ts`;
const TERMINAL_WORKS = new Set([
  "PUBLIC_WORKS_COMPLETED",
  "PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER",
  "PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION",
  "PUBLIC_WORKS_INTERRUPTED",
]);

export interface RoundTripOptions {
  db: string;
  workers: number;
  cases: number;
  /** Cases added per second (a steady arrival rate, so that latencies mean something). */
  rate: number;
  seed: number;
  log: (line: string) => void;
  /**
   * Noisy neighbour (R7): this contractor answers every call with 503 for the whole run. Its
   * cases are not waited for, and the hops are measured over the other targets only.
   */
  deadTarget?: string;
  /** Measure hops over targets other than this one (the baseline run of a noisy-neighbour pair). */
  excludeFromHops?: string;
  /** The Open311 simulator pushes each case to the first Silta process as it appears; the poll still runs. */
  push?: boolean;
}

/**
 * Cases that appear in the first seconds meet a cold process (JIT, first connections, first
 * statements): their latencies are reported apart (`warmup`), not in the hop percentiles.
 */
export const WARMUP_MS = 3_000;

export interface RoundTripResult {
  database: "postgres" | "pglite";
  workers: number;
  /** How cases reached Silta: the poll alone, or pushed with the poll as the safety net. */
  intake: "poll" | "push";
  cases: number;
  fieldWorkCases: number;
  completed: number;
  seconds: number;
  /** Completed round trips (case → work order → final status written back) per second. */
  roundTripsPerSecond: number;
  arrivalRate: number;
  hops: {
    intakeToWorkOrder: Percentiles;
    /** The first part of intake → work order: until the intake transaction that stored the case began. */
    intakeToStored: Percentiles;
    /** The rest: from that transaction to the create's ledger entry (claim, target call, commit). */
    storedToWorkOrder: Percentiles;
    fieldEventToWriteBack: Percentiles;
    /** Intake → work order of the cases that appeared in the first WARMUP_MS (a cold process). */
    warmupIntakeToWorkOrder: Percentiles;
    /** The same cold cases, split at the intake transaction as above. */
    warmupIntakeToStored: Percentiles;
    warmupStoredToWorkOrder: Percentiles;
  };
  peakRssMb: number[];
  /** Per process: idle RSS, RSS at 10/50/100 % of the round trips, heap and external peaks. */
  memory: MemoryCurve[];
  rowsPerCase: number;
  bytesPerCase: number;
  httpCallsPerCase: number;
  /** HTTP calls per round trip by kind, and the protocol's minimum (see `httpBreakdown`). */
  httpCalls: {
    polls: number;
    writeBacks: number;
    targetCreatesAndCancels: number;
    targetLookups: number;
    inboundFieldEvents: number;
    protocolMinimum: number;
    minimumParts: { creates: number; fieldEvents: number; writeBacksKept: number };
  };
  /** What one completed round trip cost, the run's totals divided by its round trips. */
  perRoundTrip: RoundTripCost;
}

export interface RoundTripCost {
  /** CPU ms of the whole machine, and its split: Silta's processes, the simulators (this bench process), the rest (PostgreSQL). */
  cpuMs: { machine: number; silta: number; simulators: number; rest: number };
  httpCalls: number;
  /** Server only (null on PGlite): transactions (read-only ones included), commit records in the WAL, WAL flushes and bytes. */
  transactions: number | null;
  commits: number | null;
  walFlushes: number | null;
  walBytes: number | null;
}

/** Serves a Hono-like app on loopback and counts the requests it answers, in all and by method. */
async function countingServer(app: { fetch: (r: Request) => Response | Promise<Response> }) {
  let requests = 0;
  const byMethod = { GET: 0, POST: 0, other: 0 };
  const server = await startHttpServer({
    fetch: (request: Request) => {
      requests++;
      if (request.method === "GET" || request.method === "POST") byMethod[request.method]++;
      else byMethod.other++;
      return app.fetch(request);
    },
  });
  return { server, count: () => requests, byMethod };
}

async function freshDatabase(db: string, label: string): Promise<{ target: string; dispose: () => Promise<void> }> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    const name = `silta_bench_${label}`;
    const admin = postgres(db, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(db);
    url.pathname = `/${name}`;
    return {
      target: url.toString(),
      dispose: async () => {
        const cleanup = postgres(db, { max: 1, onnotice: () => {} });
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
        await cleanup.end();
      },
    };
  }
  const dir = `${db}-${label}`;
  rmSync(dir, { recursive: true, force: true });
  return { target: dir, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

type SiltaChild = { child: ChildProcess; url: string; memory: ReturnType<typeof createMemoryCurve> };

function startSilta(env: Record<string, string>): Promise<SiltaChild> {
  return new Promise((resolve, reject) => {
    // The V8 flags `npm start` and the `silta` command run with (src/cli/silta.ts says why); the
    // probe reports process.memoryUsage() every second (bench/lib/memory-probe.ts).
    // BENCH_SILTA_NODE_FLAGS replaces them, to compare V8 settings ("" for V8's defaults).
    const flags = (process.env.BENCH_SILTA_NODE_FLAGS ?? "--max-semi-space-size=8 --heap-growing-percent=100")
      .split(" ")
      .filter(Boolean);
    const child = spawn(process.execPath, [...flags, "--import", MEMORY_PROBE, CLI, "start"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        BENCH_MEMORY_SAMPLE_MS: String(MEMORY_SAMPLE_MS),
        ...(process.env.BENCH_HEAP_SNAPSHOT_DIR ? { BENCH_HEAP_SNAPSHOT_DIR: process.env.BENCH_HEAP_SNAPSHOT_DIR } : {}),
        ...env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    // BENCH_MEMORY_TRACE=file appends every sample there, for a curve finer than 10/50/100 %.
    const traceFile = process.env.BENCH_MEMORY_TRACE;
    const memory = createMemoryCurve(traceFile ? (line) => appendFileSync(traceFile, `${child.pid} ${line}\n`) : undefined);
    let stderr = "";
    let partial = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      // Probe lines feed the memory curve; the rest is kept (the last 2,000 characters) for errors.
      for (const line of lines) if (!memory.take(line)) stderr = `${stderr}${line}\n`.slice(-2000);
      const match = /Silta is listening on (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) resolve({ child, url: match[1], memory });
    });
    child.once("exit", (code) => reject(new Error(`silta start exited with ${code}: ${stderr.slice(-2000)}`)));
  });
}

function peakRssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One full round-trip run: simulators in this process (counting every request they answer),
 * Silta as `workers` child processes on a fresh database, cases arriving at a steady rate, and
 * figures read from the simulators' ground truth and Silta's ledger afterwards.
 */
export async function runRoundTrip(options: RoundTripOptions): Promise<RoundTripResult> {
  const mappings = loadMappingsFromDir(`${ROOT}/mappings`);
  const isServer = /^postgres(ql)?:\/\//.test(options.db);
  // The bench's pid in the name: two benches on one server must not drop each other's database.
  const fresh = await freshDatabase(options.db, `w${options.workers}_${process.pid}`);
  const setup = await openDatabase(parseDatabaseTarget(fresh.target));
  await migrateDatabase(setup);
  const keys = new Map<string, string>();
  for (const t of mappings.targets.values())
    if (t.kind === "contractor-api") keys.set(t.id, await issueContractorKey(setup, t.id, "bench"));
  await setup.close();

  const fast = { minDelayMs: 0, maxDelayMs: 5 };
  const helsinki = createHelsinkiSimulator({ seed: options.seed });
  const staraSecret = generateWebhookSecret();
  const pushSecret = generateWebhookSecret();
  const stara = createStaraSimulator({ seed: options.seed + 1, progress: fast, webhookSecrets: [staraSecret] });
  stara.setKnobs({
    terminalWeights: { VALMIS: 85, SIIRRETTY_MYÖHEMMÄKSI: 5, EI_TOIMENPITEITÄ: 5, KESKEYTETTY: 5, VÄÄRÄ_URAKKA: 0 },
  });
  const servers: RunningServer[] = [];
  const counters: (() => number)[] = [];
  /** Requests by method at the Open311 server and at the targets' servers. */
  const methods = { open311: { GET: 0, POST: 0, other: 0 }, targets: [] as { GET: number; POST: number; other: number }[] };
  const serve = async (app: { fetch: (r: Request) => Response | Promise<Response> }, role: "open311" | "target") => {
    const { server, count, byMethod } = await countingServer(app);
    servers.push(server);
    counters.push(count);
    if (role === "open311") methods.open311 = byMethod;
    else methods.targets.push(byMethod);
    return server.url;
  };
  const env: Record<string, string> = {
    SILTA_OPEN311_URL: await serve(helsinki.app, "open311"),
    SILTA_OPEN311_API_KEY: helsinki.apiKey,
    SILTA_MAPPINGS_DIR: `${ROOT}/mappings`,
    SILTA_POLL_CRON: process.env.BENCH_POLL_CRON ?? "* * * * * *",
    SILTA_POLL_LOOKBACK_HOURS: "1",
    SILTA_WORKER_IDLE_MS: process.env.BENCH_WORKER_IDLE_MS ?? "20",
    // The bench measures the engine: rate limits off (0), the simulators push as fast as they work.
    SILTA_RATE_LIMIT_CONTRACTOR_PER_SECOND: "0",
    SILTA_RATE_LIMIT_WEBHOOK_PER_SECOND: "0",
    SILTA_LOG_LEVEL: "warn",
    ...(options.push ? { SILTA_OPEN311_PUSH_SECRETS: pushSecret } : {}),
    SILTA_HOST: "127.0.0.1",
    SILTA_PORT: "0",
    ...(isServer ? { DATABASE_URL: fresh.target } : { SILTA_DATA_DIR: fresh.target }),
  };
  const contractorSims = new Map<string, ReturnType<typeof createContractorSimulator>>();
  for (const t of mappings.targets.values()) {
    const prefix = targetEnvPrefix(t.id);
    env[`${prefix}ALLOW_PRIVATE`] = "true"; // the simulators listen on loopback
    if (t.kind === "stara") {
      env[`${prefix}URL`] = await serve(stara.app, "target");
      env[`${prefix}TOKEN`] = stara.token;
      env[`${prefix}WEBHOOK_SECRETS`] = staraSecret;
    } else {
      const secret = generateWebhookSecret();
      const sim = createContractorSimulator({
        seed: options.seed + contractorSims.size + 2,
        webhookSecrets: [secret],
        progress: fast,
      });
      sim.knobs.terminalWeights = { COMPLETED: 85, SCHEDULED_LATER: 5, NO_ACTION: 5, INTERRUPTED: 5, WRONG_CONTRACTOR: 0 };
      if (t.id === options.deadTarget) sim.knobs.outage = true;
      contractorSims.set(t.id, sim);
      env[`${prefix}URL`] = `${await serve(sim.app, "target")}/silta`;
      env[`${prefix}WEBHOOK_SECRETS`] = secret;
    }
  }

  // Requests the simulators send to Silta (webhooks, contractor events) leave through this process's fetch.
  let siltaInbound = 0;
  let serverAccount: Awaited<ReturnType<typeof startServerAccount>> | null = null;
  const realFetch = globalThis.fetch;
  const children: SiltaChild[] = [];
  try {
    for (let i = 0; i < options.workers; i++) children.push(await startSilta(env));
    const siltaUrls = children.map((c) => c.url);
    globalThis.fetch = (input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (siltaUrls.some((u) => url.startsWith(u))) siltaInbound++;
      return realFetch(input, init);
    };
    const primary = children[0];
    if (!primary) throw new Error("no Silta process started");
    stara.setWebhookTarget(`${primary.url}/webhooks/stara`, [staraSecret]);
    for (const [id, sim] of contractorSims) sim.setSilta(primary.url, keys.get(id) ?? "");
    if (options.push) helsinki.setPushTarget(`${primary.url}/intake/open311`, [pushSecret]);

    // Idle RSS: a started process, two samples in, before the first case.
    await sleep(MEMORY_SAMPLE_MS * 2.5);
    for (const c of children) c.memory.markIdle();

    // The cost account starts with the first case: the idle start-up is not a round trip's.
    serverAccount = isServer ? await startServerAccount(fresh.target) : null;
    const cpu = startCpuAccount(children.map((c) => c.child.pid));

    // Steady arrivals: a chunk every 50 ms.
    const appeared = new Map<string, number>();
    const started = Date.now();
    let added = 0;
    let fieldWork = 0;
    const perChunk = Math.max(1, Math.round(options.rate / 20));
    const feeding = (async () => {
      while (added < options.cases) {
        const n = Math.min(perChunk, options.cases - added);
        const now = Date.now();
        const generated = helsinki.generateCases(n, { from: now - 500, to: now, fieldStatusWeights: [["RECEIVED", 1]] });
        for (const g of generated) {
          appeared.set(String(g.record.service_request_id), now);
          if (mappings.fieldWorkServiceCodes.has(String(g.record.service_code))) fieldWork++;
        }
        added += n;
        const due = started + (added / options.rate) * 1000;
        await sleep(Math.max(0, due - Date.now()));
      }
    })();

    const timeoutMs = Math.max(120_000, (options.cases / 20) * 1000);
    // A dead target's cases never complete: wait for everyone else's.
    const watch = options.deadTarget ? await openDatabase(parseDatabaseTarget(fresh.target)) : null;
    const deadCases = async () =>
      watch
        ? Number(
            (await watch.rows<{ n: number }>(sql`select count(*) as n from links where target = ${options.deadTarget ?? ""}`))[0]
              ?.n ?? 0,
          )
        : 0;
    let completed = 0;
    let finishedAt = Date.now();
    for (;;) {
      const done = new Set<string>();
      for (const u of helsinki.store.updates.values())
        if (u.external_status_code && TERMINAL_WORKS.has(u.external_status_code)) done.add(u.service_request_id);
      completed = done.size;
      // Share of the run's round trips done (its field-work cases estimated from those added so far).
      const share = fieldWork > 0 ? completed / ((fieldWork * options.cases) / added) : 0;
      for (const c of children) c.memory.setProgress(share);
      finishedAt = Date.now();
      if (added >= options.cases && completed >= fieldWork - (await deadCases())) break;
      if (finishedAt - started > timeoutMs) {
        options.log(`  timed out: ${completed}/${fieldWork} round trips after ${Math.round(timeoutMs / 1000)} s`);
        break;
      }
      // The check walks every update the simulator holds: every 100 ms on a short run, at most
      // once a second on a long one (100,000 cases hold some 300,000 updates).
      await sleep(Math.min(1_000, Math.max(100, helsinki.store.updates.size / 300)));
    }
    const cpuSplit = cpu.finish();
    await feeding;
    helsinki.setPushTarget(null);
    await helsinki.drainPushes();
    await watch?.close();
    const rss = children.map((c) => peakRssMb(c.child.pid));
    for (const c of children) await stopChild(c.child);
    globalThis.fetch = realFetch;
    const serverCost = await serverAccount?.finish();
    if (serverCost?.commitRecordsUnavailable)
      process.stderr.write(`  commits per round trip unknown: ${serverCost.commitRecordsUnavailable}\n`);
    serverAccount = null;

    const database = await openDatabase(parseDatabaseTarget(fresh.target));
    try {
      const figures = await readLedgerFigures(
        database,
        appeared,
        started + WARMUP_MS,
        options.cases,
        options.deadTarget ?? options.excludeFromHops ?? null,
      );
      const simRequests = counters.reduce((sum, count) => sum + count(), 0);
      /**
       * A round trip's HTTP calls by kind, and the protocol's minimum: one create, every field
       * event the target chooses to send (Silta cannot refuse them), and one write-back per
       * status the case system keeps (its updates, each once). Everything else (the polls, the
       * target look-ups, a repeated write-back) is Silta's own overhead.
       */
      const httpBreakdown = () => {
        const targetPosts = methods.targets.reduce((sum, m) => sum + m.POST, 0);
        const targetGets = methods.targets.reduce((sum, m) => sum + m.GET + m.other, 0);
        const keptUpdates = helsinki.store.updates.size;
        const minimum = fieldWork + siltaInbound + keptUpdates;
        return {
          polls: per(methods.open311.GET),
          writeBacks: per(methods.open311.POST + methods.open311.other),
          targetCreatesAndCancels: per(targetPosts),
          targetLookups: per(targetGets),
          inboundFieldEvents: per(siltaInbound),
          protocolMinimum: per(minimum),
          minimumParts: { creates: per(fieldWork), fieldEvents: per(siltaInbound), writeBacksKept: per(keptUpdates) },
        };
      };
      const seconds = (finishedAt - started) / 1000;
      const per = (n: number, digits = 1) => Math.round((n / Math.max(1, completed)) * 10 ** digits) / 10 ** digits;
      return {
        database: isServer ? "postgres" : "pglite",
        workers: options.workers,
        intake: options.push ? "push" : "poll",
        cases: options.cases,
        fieldWorkCases: fieldWork,
        completed,
        seconds: Math.round(seconds * 10) / 10,
        roundTripsPerSecond: Math.round(completed / seconds),
        arrivalRate: options.rate,
        hops: figures.hops,
        peakRssMb: rss,
        memory: children.map((c) => c.memory.result()),
        rowsPerCase: figures.rowsPerCase,
        bytesPerCase: figures.bytesPerCase,
        httpCallsPerCase: Math.round(((simRequests + siltaInbound) / options.cases) * 10) / 10,
        httpCalls: httpBreakdown(),
        perRoundTrip: {
          cpuMs: {
            machine: per(cpuSplit.machineMs),
            silta: per(cpuSplit.siltaMs),
            simulators: per(cpuSplit.simulatorsMs),
            rest: per(cpuSplit.restMs),
          },
          httpCalls: per(simRequests + siltaInbound),
          transactions: serverCost ? per(serverCost.transactions) : null,
          commits: serverCost?.commitRecords != null ? per(serverCost.commitRecords) : null,
          walFlushes: serverCost ? per(serverCost.walFlushes) : null,
          walBytes: serverCost ? per(serverCost.walBytes, 0) : null,
        },
      };
    } finally {
      await database.close();
    }
  } finally {
    globalThis.fetch = realFetch;
    helsinki.setPushTarget(null);
    for (const c of children) await stopChild(c.child);
    await serverAccount?.close();
    await stara.stop();
    for (const sim of contractorSims.values()) sim.stop();
    await Promise.all(servers.map((s) => s.close()));
    await fresh.dispose();
  }
}

async function readLedgerFigures(
  database: Database,
  appeared: Map<string, number>,
  steadyFrom: number,
  cases: number,
  skipTarget: string | null,
) {
  const created = await database.rows<{ case_id: string; at: Date }>(
    sql`select case_id, min(at) as at from ledger_entries
        where operation = 'create_work_order' and outcome = 'ok' and target is distinct from ${skipTarget}
        group by case_id`,
  );
  // A ledger entry's time is its transaction's start, so "stored" is when the intake transaction began.
  const stored = new Map(
    (
      await database.rows<{ case_id: string; at: Date }>(
        sql`select case_id, min(at) as at from ledger_entries where operation = 'intake' group by case_id`,
      )
    ).map((r) => [r.case_id, new Date(r.at).getTime()]),
  );
  const intakeToWorkOrder: number[] = [];
  const intakeToStored: number[] = [];
  const storedToWorkOrder: number[] = [];
  const warmup = { total: [] as number[], stored: [] as number[], workOrder: [] as number[] };
  for (const r of created) {
    const t0 = appeared.get(r.case_id);
    if (t0 === undefined) continue;
    const t2 = new Date(r.at).getTime();
    const t1 = stored.get(r.case_id);
    const cold = t0 < steadyFrom;
    (cold ? warmup.total : intakeToWorkOrder).push(t2 - t0);
    if (t1 === undefined) continue;
    (cold ? warmup.stored : intakeToStored).push(t1 - t0);
    (cold ? warmup.workOrder : storedToWorkOrder).push(t2 - t1);
  }
  // A field event's canonical status is in its ledger detail ("CODE → status"); its write-back says "status as PUBLIC_WORKS_…".
  // Joined on equalities and grouped, with nested loops off: without statistics (autovacuum is off
  // here) the planner joined events to the ledger by nested loops over a column with no index, and
  // at 100,000 cases this query ran for over ten minutes after the run (2 s this way).
  const eventToWriteBack = await database.db.transaction(async (tx) => {
    await database.rows(sql`set local enable_nestloop = off`, tx);
    return database.rows<{ ms: number }>(
      sql`
      select extract(epoch from (min(w.at) - i.received_at)) * 1000 as ms
      from inbox_events i
      join ledger_entries f on f.idempotency_key = i.event_id and f.operation = 'field_status' and f.outcome = 'ok'
      join ledger_entries w on w.link_id = f.link_id and w.operation = 'write_back' and w.outcome = 'ok'
        and split_part(w.detail, ' as ', 1) = split_part(f.detail, ' → ', 2) and w.at >= i.received_at
      where i.state = 'applied' and i.received_at >= ${new Date(steadyFrom).toISOString()}::timestamptz
      group by i.id, i.received_at`,
      tx,
    );
  });
  const [size] = await database.rows<{ rows: number; bytes: number }>(sql`
    select
      (select count(*) from cases) + (select count(*) from links) + (select count(*) from outbox_jobs)
        + (select count(*) from inbox_events) + (select count(*) from ledger_entries) as rows,
      pg_total_relation_size('cases') + pg_total_relation_size('links') + pg_total_relation_size('outbox_jobs')
        + pg_total_relation_size('inbox_events') + pg_total_relation_size('ledger_entries') as bytes`);
  return {
    hops: {
      intakeToWorkOrder: percentiles(intakeToWorkOrder),
      intakeToStored: percentiles(intakeToStored),
      storedToWorkOrder: percentiles(storedToWorkOrder),
      fieldEventToWriteBack: percentiles(eventToWriteBack.map((r) => Number(r.ms))),
      warmupIntakeToWorkOrder: percentiles(warmup.total),
      warmupIntakeToStored: percentiles(warmup.stored),
      warmupStoredToWorkOrder: percentiles(warmup.workOrder),
    },
    rowsPerCase: Math.round((Number(size?.rows ?? 0) / cases) * 10) / 10,
    bytesPerCase: Math.round(Number(size?.bytes ?? 0) / cases),
  };
}
