/**
 * The chaos harness (reliability.md): the Helsinki, Stara and two contractor simulators as
 * separate processes (their stores are the ground truth and survive Silta's crashes), Silta as
 * 1–4 child processes behind a front door on a throwaway PostgreSQL cluster, seeded faults on
 * every wire, kill -9 at labelled crash points and at random, one immediate PostgreSQL stop and
 * restart mid-run, then a checker over the ground truth and the ledger.
 *
 *   npm run chaos -- --cases 300 --seed 7 [--workers 3] [--open311-profile helsinki|generic] [--json]
 *   npm run soak                         (10,000 cases, everything on)
 *
 * Prints {cases, lost, duplicated, unexpected, converged, ledgerBalanced, kills, pgRestarts,
 * faultsInjected, seconds, seed, …} and exits 1 on any violation. SEED replays the schedule.
 */
import { mkdtempSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { migrateDatabase } from "../../src/db/migrate-node.ts";
import { openDatabase } from "../../src/db/open-node.ts";
import { issueContractorKey } from "../../src/domain/contractor-gateway.ts";
import { redriveDeadJobs } from "../../src/domain/jobs/redrive.ts";
import { createRng } from "../../src/lib/prng.ts";
import { generateWebhookSecret } from "../../src/lib/webhook-signature.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import { checkRun } from "./checker.ts";
import { freePort, startPgCluster } from "./pg-cluster.ts";
import { type Child, getJson, postJson, startChild } from "./processes.ts";

const { values } = parseArgs({
  options: {
    cases: { type: "string" },
    seed: { type: "string", default: process.env.SEED ?? String(Math.floor(Math.random() * 1e6)) },
    workers: { type: "string" },
    "open311-profile": { type: "string", default: "helsinki" },
    json: { type: "boolean", default: false },
    soak: { type: "boolean", default: false },
    "kill-every-ms": { type: "string" },
    "settle-timeout-s": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write(`Usage: npm run chaos -- [--cases N] [--seed S] [--workers 1-4] [--open311-profile helsinki|generic]
                        [--json] [--kill-every-ms MS] [--settle-timeout-s S]
       npm run soak                 (10,000 cases, everything on)

--open311-profile picks the Open311 server Silta reads: helsinki (the default: most cases never
published, read with the API key; write-back on) or generic (100-row pages newest first, no
write-back endpoint, closed means resolved). Both plant records with NUL characters and empty
service codes, and publish some cases late without moving their update time.

Runs simulators and Silta as separate processes on a throwaway PostgreSQL cluster with seeded
faults, kill -9 at crash points and at random, and one immediate PostgreSQL restart; then checks
the simulators' ground truth and the ledger. Prints {cases, lost, duplicated, unexpected,
converged, ledgerBalanced, kills, pgRestarts, faultsInjected, seconds, seed} and exits 1 on any
violation. The same --seed (or SEED=) replays the fault schedule.
`);
  process.exit(0);
}
const open311Profile = values["open311-profile"];
if (open311Profile !== "helsinki" && open311Profile !== "generic") {
  process.stderr.write(`--open311-profile must be helsinki or generic, got ${open311Profile}\n`);
  process.exit(2);
}
// The generic server has no servicerequestupdates endpoint: Silta turns write-back off.
const writeBack = open311Profile === "helsinki";
const soak = values.soak ?? false;
const seed = Number(values.seed);
const totalCases = Number(values.cases ?? (soak ? 10_000 : 200));
const workerCount = Math.max(1, Math.min(4, Number(values.workers ?? (soak ? 4 : 3))));
const killEveryMs = Number(values["kill-every-ms"] ?? 3_000);
const rng = createRng(seed);
const started = Date.now();
const say = (line: string) => {
  if (!values.json) process.stderr.write(`[chaos ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ROOT = new URL("../../", import.meta.url).pathname;
const MAPPINGS_DIR = join(ROOT, "mappings");
const LABELS = ["after_claim", "after_target_2xx_before_commit", "before_write_back_commit"] as const;
const logDir = mkdtempSync("/tmp/silta-chaos-logs-");
const mappings = loadMappingsFromDir(MAPPINGS_DIR);

say(`seed ${seed}, ${totalCases} cases, ${workerCount} Silta processes, Open311 profile ${open311Profile}, logs in ${logDir}`);
const cluster = await startPgCluster();
const database = await openDatabase({ url: cluster.url }, { maxConnections: 3 });
await migrateDatabase(database);

// The front door: simulators post webhooks and events here; it forwards to a live Silta process.
const siltaPorts = await Promise.all(Array.from({ length: workerCount }, () => freePort()));
const alive = new Set<number>();
let roundRobin = 0;
const frontDoor = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const candidates = siltaPorts.filter((_, i) => alive.has(i));
    const port = candidates[roundRobin++ % Math.max(1, candidates.length)];
    if (port === undefined) {
      res.writeHead(503, { "retry-after": "1" }).end();
      return;
    }
    const upstream = httpRequest(
      { host: "127.0.0.1", port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    upstream.end(body);
  });
});
const frontPort = await freePort();
await new Promise<void>((resolve) => frontDoor.listen(frontPort, "127.0.0.1", resolve));
const frontUrl = `http://127.0.0.1:${frontPort}`;

// Simulators, each its own process.
const staraSecret = generateWebhookSecret();
const honourKeys = seed % 2 === 0;
const helsinki = await startChild(
  join(ROOT, "adapters/open311/simulator/serve.ts"),
  [
    "--seed",
    String(seed),
    "--profile",
    open311Profile,
    // Helsinki publishes under 10 % of its feedback: most cases reach Silta only by key.
    "--unpublished-share",
    open311Profile === "helsinki" ? "0.7" : "0",
    "--bad-record-share",
    "0.02",
    "--late-published-share",
    "0.1",
    "--moderation-delay-ms",
    "20000",
  ],
  {},
  join(logDir, "helsinki.log"),
);
const stara = await startChild(
  join(ROOT, "adapters/stara/simulator/serve.ts"),
  [
    "--seed",
    String(seed + 1),
    "--webhook-url",
    `${frontUrl}/webhooks/stara`,
    "--webhook-secret",
    staraSecret,
    "--min-delay-ms",
    "200",
    "--max-delay-ms",
    "1200",
  ],
  {},
  join(logDir, "stara.log"),
);
const contractors = new Map<string, { child: Child; secret: string; url: string }>();
for (const [i, target] of ["contractor-east", "contractor-west"].entries()) {
  const secret = generateWebhookSecret();
  const key = await issueContractorKey(database, target, "chaos");
  const child = await startChild(
    join(ROOT, "adapters/contractor-api/simulator/serve.ts"),
    [
      "--seed",
      String(seed + 10 + i),
      "--webhook-secret",
      secret,
      "--silta-url",
      frontUrl,
      "--api-key",
      key,
      "--event-attempts",
      "60",
      "--min-delay-ms",
      "200",
      "--max-delay-ms",
      "1200",
    ],
    {},
    join(logDir, `${target}.log`),
  );
  contractors.set(target, { child, secret, url: child.hello.url ?? "" });
}
const helsinkiUrl = helsinki.hello.url ?? "";
const staraUrl = stara.hello.url ?? "";

// The seeded fault schedule: about 20 % of calls to each ERP go wrong in one of the ways below.
const staraFaults = {
  errorRate: 0.06,
  rateLimitRate: 0.004,
  retryAfterSeconds: 1,
  commitThenErrorRate: 0.04,
  malformedResponseRate: 0.01,
  honourIdempotencyKey: honourKeys,
  webhookDuplicateRate: 0.3,
  webhookShuffleRate: 0.3,
  webhookMaxAttempts: 20,
  webhookRetryBaseMs: 200,
  terminalWeights: { VÄÄRÄ_URAKKA: 0 },
};
const wireFaults = {
  resetAfterCommitRate: 0.04,
  resetBeforeRate: 0.01,
  hangRate: 0.01,
  hangMs: 3_000,
  slowBodyRate: 0.01,
  slowBodyMs: 3_000,
  hugeBodyRate: 0.005,
  hugeBodyBytes: 1024 * 1024,
  redirectRate: 0.002,
};
const contractorFaults = (dedupe: boolean) => ({
  errorRate: 0.05,
  rateLimitRate: 0.004,
  commitThenFailRate: 0.04,
  retryAfterSeconds: 1,
  duplicateEventRate: 0.3,
  dedupeWebhooks: dedupe,
  terminalWeights: { COMPLETED: 80, SCHEDULED_LATER: 7, NO_ACTION: 6, INTERRUPTED: 5, WRONG_CONTRACTOR: 0 },
});
async function setFaults(on: boolean): Promise<void> {
  const zeroWire = Object.fromEntries(
    Object.keys(wireFaults)
      .filter((k) => k.endsWith("Rate"))
      .map((k) => [k, 0]),
  );
  await postJson(
    `${staraUrl}/__sim/knobs`,
    on
      ? staraFaults
      : {
          errorRate: 0,
          rateLimitRate: 0,
          commitThenErrorRate: 0,
          malformedResponseRate: 0,
          webhookDuplicateRate: 0,
          webhookShuffleRate: 0,
        },
  );
  await postJson(`${staraUrl}/__sim/wire-faults`, on ? wireFaults : zeroWire);
  for (const [target, { url }] of contractors) {
    await postJson(
      `${url}/__sim/knobs`,
      on
        ? contractorFaults(target === "contractor-east")
        : { errorRate: 0, rateLimitRate: 0, commitThenFailRate: 0, duplicateEventRate: 0 },
    );
    await postJson(`${url}/__sim/wire-faults`, on ? wireFaults : zeroWire);
  }
}
await setFaults(true);
// Targets that de-duplicate creates by key: Stara when it honours Idempotency-Key, the east
// contractor (it de-duplicates by webhook-id). The west contractor does not: Silta must look up.
const keyTargets = [...(honourKeys ? ["stara"] : []), "contractor-east"].join(",");

// Silta processes.
const siltaEnv = (i: number): Record<string, string> => ({
  DATABASE_URL: cluster.url,
  SILTA_PORT: String(siltaPorts[i]),
  SILTA_MAPPINGS_DIR: MAPPINGS_DIR,
  SILTA_OPEN311_URL: helsinkiUrl,
  SILTA_OPEN311_API_KEY: helsinki.hello.apiKey ?? "",
  SILTA_OPEN311_PROFILE: open311Profile,
  SILTA_OPEN311_INTAKE: "keyed-list",
  SILTA_POLL_CRON: "*/2 * * * * *",
  SILTA_POLL_LOOKBACK_HOURS: "1",
  SILTA_WORKER_IDLE_MS: "100",
  SILTA_HTTP_TIMEOUT_MS: "2000",
  // The chaos run's faults are the simulators' schedule; Silta's own 429s would blur the count.
  SILTA_RATE_LIMIT_CONTRACTOR_PER_SECOND: "0",
  SILTA_RATE_LIMIT_WEBHOOK_PER_SECOND: "0",
  SILTA_LOG_LEVEL: "warn",
  SILTA_TARGET_STARA_URL: staraUrl,
  SILTA_TARGET_STARA_TOKEN: stara.hello.token ?? "",
  SILTA_TARGET_STARA_WEBHOOK_SECRETS: staraSecret,
  SILTA_TARGET_CONTRACTOR_EAST_URL: `${contractors.get("contractor-east")?.url}/silta`,
  SILTA_TARGET_CONTRACTOR_EAST_WEBHOOK_SECRETS: contractors.get("contractor-east")?.secret ?? "",
  SILTA_TARGET_CONTRACTOR_WEST_URL: `${contractors.get("contractor-west")?.url}/silta`,
  SILTA_TARGET_CONTRACTOR_WEST_WEBHOOK_SECRETS: contractors.get("contractor-west")?.secret ?? "",
  SILTA_CHAOS_KEY_TARGETS: keyTargets,
  // Two processes poll (overlapping intake), the others only work.
  SILTA_CHAOS_POLL: i < 2 ? "1" : "0",
});
const silta: (Child | null)[] = Array.from({ length: workerCount }, () => null);
// Whatever happens to the harness, it leaves no process or cluster behind.
process.on("exit", () => {
  for (const child of [...silta, helsinki, stara, ...[...contractors.values()].map((c) => c.child)])
    child?.process.kill("SIGKILL");
  cluster.destroy();
});
process.once("SIGTERM", () => process.exit(1));
process.once("SIGINT", () => process.exit(1));
let chaosOn = true;
let kills = 0;
let crashPointKills = 0;
let stopping = false;

const launching = new Set<number>();
async function launch(i: number): Promise<void> {
  // One process per slot: a restart already under way or a live process wins.
  if (launching.has(i) || silta[i]) return;
  launching.add(i);
  try {
    await launchOnce(i);
  } finally {
    launching.delete(i);
  }
}
async function launchOnce(i: number): Promise<void> {
  const env = siltaEnv(i);
  if (chaosOn && rng.chance(0.5)) {
    env.SILTA_CRASH_AT = rng.pick(LABELS);
    env.SILTA_CRASH_AFTER = String(rng.int(1, 40));
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const child = await startChild(join(ROOT, "test/chaos/silta-child.ts"), [], env, join(logDir, `silta-${i}.log`));
      silta[i] = child;
      alive.add(i);
      void child.exited.then((code) => {
        alive.delete(i);
        if (silta[i] === child) silta[i] = null;
        if (stopping) return;
        if (child.process.signalCode === "SIGKILL" && env.SILTA_CRASH_AT) crashPointKills++;
        if (code !== 0 || child.process.signalCode) kills++;
        // Restart the dead process after a moment, as a supervisor would.
        setTimeout(() => void launch(i), 200);
      });
      return;
    } catch (error) {
      // The database may be restarting; try again.
      if (attempt >= 30) throw error;
      await sleep(500);
    }
  }
}
for (let i = 0; i < workerCount; i++) await launch(i);
say(`Silta up on ${siltaPorts.join(", ")}; front door ${frontUrl}; Stara ${honourKeys ? "honours" : "ignores"} Idempotency-Key`);

// Chaos phase: cases arrive in waves; random kills; one PostgreSQL crash mid-run.
const waves = Math.max(12, Math.ceil(totalCases / 100));
const perWave = Math.ceil(totalCases / waves);
let generated = 0;
let pgRestarts = 0;
let lastKill = Date.now();
const pgCrashAtWave = Math.floor(waves / 2);
for (let wave = 0; wave < waves; wave++) {
  const n = Math.min(perWave, totalCases - generated);
  if (n <= 0) break;
  const now = Date.now();
  const { ids } = (await postJson(`${helsinkiUrl}/__sim/generate`, { n, fromMs: now - 1_000, toMs: now })) as { ids: string[] };
  generated += n;
  // The city withdraws a few of them soon after.
  const withdraw = ids.filter(() => rng.chance(0.04));
  setTimeout(
    () => {
      for (const id of withdraw) void postJson(`${helsinkiUrl}/__sim/cases/${id}/cancel`, {}).catch(() => {});
    },
    rng.int(500, 4_000),
  );
  if (wave === pgCrashAtWave) {
    say("PostgreSQL: immediate stop");
    cluster.crash();
    await sleep(2_000);
    cluster.start();
    pgRestarts++;
    say("PostgreSQL: started again");
  }
  if (Date.now() - lastKill >= killEveryMs) {
    lastKill = Date.now();
    const victim = rng.int(0, workerCount - 1);
    const child = silta[victim];
    if (child) {
      say(`kill -9 Silta ${victim}`);
      child.process.kill("SIGKILL");
    }
  }
  await sleep(soak ? 700 : 1_000);
}
// Keep faults and kills on until every case is in and the creates have drained, so that the
// whole run (not just its first minutes) meets the faults; bounded for a stuck run.
const tailUntil = Date.now() + Math.max(30_000, totalCases * 60);
while (Date.now() < tailUntil) {
  await sleep(killEveryMs);
  const victim = rng.int(0, workerCount - 1);
  silta[victim]?.process.kill("SIGKILL");
  const [left] = await database
    .rows<{ creates: number; cases: number }>(sql`
      select (select count(*)::int from outbox_jobs where kind = 'create_work_order' and state in ('pending', 'running')) as creates,
             (select count(*)::int from cases) as cases`)
    .catch(() => [undefined]);
  say(`chaos: ${left?.cases} cases in, ${left?.creates} creates pending`);
  if (left && left.cases >= totalCases && left.creates <= Math.ceil(totalCases / 200)) break;
}

// Faults stop. Processes armed with a crash point still die there once; they come back without one.
say("faults off");
chaosOn = false;
await setFaults(false);

const settleTimeoutMs = Number(values["settle-timeout-s"] ?? Math.max(90, totalCases / 20)) * 1_000;
const settleUntil = Date.now() + settleTimeoutMs;
const sources = {
  helsinkiUrl,
  staraUrl,
  contractorUrls: new Map([...contractors].map(([t, c]) => [t, c.url])),
  logFiles: Array.from({ length: workerCount }, (_, i) => join(logDir, `silta-${i}.log`)),
};
let verdict = await checkRun(database, mappings, { ...sources, logFiles: [] }, { writeBack });
while (Date.now() < settleUntil) {
  const redriven = await redriveDeadJobs(database, {}, "chaos harness");
  if (redriven > 0) say(`re-drove ${redriven} dead jobs`);
  // Cheap progress first: the full check reads every store, so it waits for a quiet moment.
  const [backlog] = await database
    .rows<{ jobs: number; events: number; cases: number }>(sql`
      select (select count(*)::int from outbox_jobs where state in ('pending', 'running')) as jobs,
             (select count(*)::int from inbox_events where state = 'pending') as events,
             (select count(*)::int from cases) as cases`)
    .catch(() => [undefined]);
  if (!backlog || backlog.jobs + backlog.events > 0 || backlog.cases < totalCases) {
    say(`settling: ${backlog?.cases} cases in, ${backlog?.jobs} jobs and ${backlog?.events} events pending`);
    await sleep(3_000);
    continue;
  }
  verdict = await checkRun(database, mappings, { ...sources, logFiles: [] }, { writeBack });
  if (verdict.converged && verdict.lost === 0) break;
  say(`settling: ${verdict.problems.slice(0, 2).join("; ")}`);
  await sleep(3_000);
}
// The final verdict also scans the targets' stores, the ledger and Silta's logs for planted personal data.
verdict = await checkRun(database, mappings, sources, { scanCanaries: true, writeBack });

const staraState = await getJson<{ requests: Record<string, number> }>(`${staraUrl}/__sim/state`);
let faultsInjected =
  (staraState.requests.injected503 ?? 0) +
  (staraState.requests.injected429 ?? 0) +
  (staraState.requests.commitThenError ?? 0) +
  (staraState.requests.malformed ?? 0);
for (const { url } of contractors.values()) {
  const injected = await getJson<Record<string, number>>(`${url}/__sim/faults`);
  for (const value of Object.values(injected)) faultsInjected += value;
}
for (const url of [staraUrl, ...[...contractors.values()].map((c) => c.url)]) {
  const { stats } = await getJson<{ stats: Record<string, number> }>(`${url}/__sim/wire-faults`);
  for (const value of Object.values(stats)) faultsInjected += value;
}

// Graceful stop of every Silta process: each must exit 0.
stopping = true;
const exits = await Promise.all(
  silta.map(async (child) => {
    if (!child) return 0;
    child.process.kill("SIGTERM");
    return child.exited;
  }),
);
const cleanExits = exits.every((code) => code === 0);
for (const child of [helsinki, stara, ...[...contractors.values()].map((c) => c.child)]) child.process.kill("SIGTERM");
frontDoor.close();
await database.close();
cluster.destroy();

const result = {
  open311Profile,
  cases: verdict.cases,
  lost: verdict.lost,
  duplicated: verdict.duplicated,
  unexpected: verdict.unexpected,
  converged: verdict.converged,
  ledgerBalanced: verdict.ledgerBalanced,
  canaries: verdict.canaries,
  kills,
  crashPointKills,
  pgRestarts,
  faultsInjected,
  cleanShutdown: cleanExits,
  erpHonoursKeys: honourKeys,
  seconds: Math.round((Date.now() - started) / 100) / 10,
  seed,
};
const passed =
  result.lost === 0 &&
  result.duplicated === 0 &&
  result.unexpected === 0 &&
  result.converged &&
  result.ledgerBalanced &&
  result.canaries === 0 &&
  result.cleanShutdown &&
  result.cases === totalCases;
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!passed) process.stdout.write(`FAILED (replay with --seed ${seed}):\n  ${verdict.problems.join("\n  ")}\n`);
}
process.exit(passed ? 0 : 1);
