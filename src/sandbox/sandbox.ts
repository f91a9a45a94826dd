import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { sql } from "drizzle-orm";
import { type RunningContractorSimulator, startContractorSimulator } from "../../adapters/contractor-api/simulator/serve.ts";
import { loadRecordsFromFile } from "../../adapters/open311/simulator/load-records.ts";
import { type RunningHelsinkiSimulator, startHelsinkiSimulator } from "../../adapters/open311/simulator/serve.ts";
import { type RunningStaraSimulator, startStaraSimulator } from "../../adapters/stara/simulator/serve.ts";
import { parseConfig, targetEnvPrefix } from "../config/config.ts";
import type { Database } from "../db/client.ts";
import { migrateDatabase } from "../db/migrate-node.ts";
import { openDatabase, parseDatabaseTarget } from "../db/open-node.ts";
import { evaluateAlerts } from "../domain/alerts/evaluate-alerts.ts";
import { issueContractorKey } from "../domain/contractor-gateway.ts";
import { type Logger, type SiltaDeps, silentLogger } from "../domain/deps.ts";
import { reReadSource } from "../domain/intake/anti-entropy.ts";
import { sendFallbacks } from "../domain/jobs/fallback.ts";
import { reviewPhoto } from "../domain/photos/review-photo.ts";
import { raiseLateAnswerAlarms } from "../domain/reconcile/reconcile.ts";
import { createRng } from "../lib/prng.ts";
import { generateWebhookSecret } from "../lib/webhook-signature.ts";
import { loadMappingsFromDir } from "../mappings/load-node.ts";
import { buildDeps } from "../runtime/build-deps.ts";
import { startSiltaNode } from "../runtime/node-silta.ts";
import { WORKER_CRONS } from "../runtime/worker-tasks.ts";
import { SANDBOX_DATA_DIR, type SandboxInfo } from "./info.ts";
import { type LoopbackMail, startLoopbackSmtp } from "./loopback-smtp.ts";
import { readProgress, type SandboxProgress } from "./progress.ts";
import type { RunningWorker } from "./worker-silta.ts";

export interface SandboxOptions {
  seed: number;
  /** Cases generated at start (ignored with `fromFile`). */
  cases: number;
  /** GeoReport v2 records to seed the Helsinki simulator with instead of generated cases. */
  fromFile?: string;
  /** A postgres:// URL or a PGlite folder; default a fresh PGlite folder under .silta/. */
  db?: string;
  /** Empty a given database first (the sandbox never empties one it was not told to). */
  reset?: boolean;
  /** An open, empty database to use instead (tests); the sandbox migrates it but does not close it. */
  database?: Database;
  /** `database`'s postgres:// URL, for a runtime in another process (`runtime: worker`). */
  databaseUrl?: string;
  port: number;
  mappingsDir: string;
  /** How often Silta polls the Helsinki simulator. */
  pollIntervalMs: number;
  /** How long a field crew takes per status step, at random within these bounds. */
  fieldDelayMs: { min: number; max: number };
  /** Share of cases the city withdraws after they were routed (exercises cancellation). */
  cancelFraction: number;
  /** Share of finished cases the desk closes and then reopens as not fixed (exercises rework); Helsinki profile only. */
  reworkFraction?: number;
  /** Share of routed cases the desk marks as duplicates of an earlier case of the same service and contractor. */
  duplicateFraction?: number;
  /**
   * A contractor-api target that is down from the start: its work orders go by e-mail (the
   * fallback channel) to an SMTP server on loopback, alerts go there too, and once every waiting
   * order has been e-mailed the contractor comes back. Node runtime only.
   */
  failOver?: string;
  /** Share of completed work orders whose crew sends a photo (Stara inline, contractors by upload); half are approved by a stand-in handler. */
  photoFraction?: number;
  /** The Helsinki simulator also pushes its cases to Silta's push intake (the poll still runs). */
  push?: boolean;
  /**
   * Which kind of Open311 server to simulate, and the matching Silta profile. `helsinki` (default):
   * 200-row cap, most cases never published (reached by push and by list reads with the key), a few
   * records with NUL characters or no service code. `generic`: 100-row pages newest first with
   * paging headers, no write-back endpoint, `closed` meaning resolved.
   */
  open311Profile?: "helsinki" | "generic";
  /**
   * Where Silta runs: `node` (default, in this process) or `worker` (the Cloudflare Worker bundle
   * inside workerd, through Miniflare; needs a PostgreSQL server as `db`).
   */
  runtime?: "node" | "worker";
  /**
   * The caller stops the sandbox itself on SIGINT and SIGTERM (the CLI, to print its summary):
   * Miniflare's own handlers, which end the process at once (exit 130), are taken off.
   */
  handlesSignals?: boolean;
  log?: Logger;
  /** Where human-readable notes go (the CLI prints them). */
  say?: (line: string) => void;
}

/** Silta as the sandbox drives it, whichever runtime it runs on. */
export interface SandboxSilta {
  url: string;
  /** Dependencies on this side (the Worker's own are built per invocation inside workerd). */
  deps: SiltaDeps;
  /** One intake poll now (on the Worker: its every-minute trigger, which also runs the work). */
  pollNow(): Promise<unknown>;
  /** On the Worker: the log lines it wrote (JSON), as workerd received them. */
  logs?: readonly string[];
  stop(): Promise<void>;
}

export interface Sandbox {
  silta: SandboxSilta;
  /** Which runtime Silta runs on. */
  runtime: "node" | "worker";
  helsinki: RunningHelsinkiSimulator;
  stara: RunningStaraSimulator;
  contractors: Map<string, RunningContractorSimulator>;
  /** The API key each contractor simulator uses at Silta. */
  contractorKeys: Map<string, string>;
  /** The sandbox's admin bearer token (console and admin API). */
  adminToken: string;
  /** The sandbox's handler token (SILTA_HANDLER_TOKENS: the case pages, read-only). */
  handlerToken: string;
  /** The webhook secrets Silta runs with, by target id, and `open311-push` when the city pushes. */
  webhookSecrets: Map<string, string>;
  database: Database;
  databaseLabel: string;
  /** Adds n more generated cases to the Helsinki simulator. */
  addCases(n: number): void;
  /** One poll now (and, every few seconds, an anti-entropy re-read), then the city withdraws its share of the freshly routed cases. */
  poll(): Promise<void>;
  /** One anti-entropy re-read of the simulator's whole set now. */
  reRead(): Promise<void>;
  /** Which Open311 profile the sandbox runs. */
  open311Profile: "helsinki" | "generic";
  progress(): Promise<SandboxProgress>;
  /** Every URL, token, key and secret a person needs to try each surface (`--info-file`). */
  info(): Promise<SandboxInfo>;
  /** With `failOver`: the loopback SMTP server's mail, and whether the target is back. */
  failOver: { target: string; mailbox: LoopbackMail[]; returned: boolean } | null;
  stop(): Promise<void>;
}

const randomHex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

async function ensureEmpty(database: Database, reset: boolean, label: string): Promise<void> {
  const [row] = await database.rows<{ n: number }>(sql`select count(*)::int as n from cases`);
  if (!row || row.n === 0) return;
  if (!reset) {
    throw new Error(
      `the database ${label} already holds ${row.n} cases; pass --reset to empty it for the sandbox, or give another --db`,
    );
  }
  await database.rows(
    sql`truncate reconciliation_findings, ledger_entries, inbox_events, outbox_jobs, links, cases, poll_cursors, contractor_keys, source_quarantine, photos, photo_blobs, alerts, target_pauses restart identity`,
  );
}

/**
 * Brings up the whole system on loopback: the Helsinki Open311 simulator with cases, the Stara
 * simulator, a contractor simulator per contractor-api target, and Silta between them on the
 * embedded database (or the one given), wired with fresh secrets and keys.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const log = options.log ?? silentLogger;
  const say = options.say ?? (() => {});
  const rng = createRng(options.seed);
  const mappings = loadMappingsFromDir(options.mappingsDir);
  const progress = { minDelayMs: options.fieldDelayMs.min, maxDelayMs: options.fieldDelayMs.max };

  let databaseLabel: string;
  let database: Database;
  let databaseInfo: Omit<SandboxInfo["database"], "label">;
  if (options.database) {
    databaseLabel = `${options.database.kind} (given)`;
    database = options.database;
    databaseInfo = { kind: options.database.kind, ...(options.databaseUrl ? { url: options.databaseUrl } : {}) };
    await migrateDatabase(database);
    await ensureEmpty(database, options.reset ?? false, databaseLabel);
  } else if (options.db) {
    databaseLabel = options.db.replace(/\/\/[^@/]*@/, "//");
    const target = parseDatabaseTarget(options.db);
    database = await openDatabase(target);
    databaseInfo = "url" in target ? { kind: "postgres", url: target.url } : { kind: "pglite", dataDir: resolve(options.db) };
    await migrateDatabase(database);
    await ensureEmpty(database, options.reset ?? false, databaseLabel);
  } else {
    databaseLabel = `PGlite in ${SANDBOX_DATA_DIR}`;
    rmSync(SANDBOX_DATA_DIR, { recursive: true, force: true });
    database = await openDatabase({ dataDir: SANDBOX_DATA_DIR });
    databaseInfo = { kind: "pglite", dataDir: resolve(SANDBOX_DATA_DIR) };
    await migrateDatabase(database);
  }

  const open311Profile = options.open311Profile ?? "helsinki";
  const adminToken = `sandbox-admin-${randomHex(12)}`;
  const handlerToken = `sandbox-handler-${randomHex(12)}`;
  const helsinki = await startHelsinkiSimulator({
    seed: options.seed,
    profile: open311Profile,
    // Helsinki publishes under 10 % of its feedback; its push and keyed reads still show every case.
    ...(open311Profile === "helsinki" && !options.fromFile
      ? { unpublishedShare: 0.7, badRecords: { nulShare: 0.02, emptyServiceCodeShare: 0.02 } }
      : {}),
    ...(open311Profile === "generic" ? { badRecords: { nulShare: 0.02, emptyServiceCodeShare: 0.02 } } : {}),
    // Some cases are published after moderation without a moved update time: the public list
    // would miss them, the authoritative intake (push, keyed list) must not.
    ...(options.fromFile ? {} : { latePublishedShare: 0.1, moderationDelayMs: 20_000, knobs: { publishKeepsUpdatedTime: true } }),
  });
  const stara = await startStaraSimulator({ seed: options.seed + 1, progress });
  stara.sim.setKnobs({ photoRate: options.photoFraction ?? 0 });
  const contractors = new Map<string, RunningContractorSimulator>();
  const env: Record<string, string> = {
    SILTA_OPEN311_URL: helsinki.url,
    SILTA_OPEN311_API_KEY: helsinki.sim.apiKey,
    SILTA_PORT: String(options.port),
    SILTA_MAPPINGS_DIR: options.mappingsDir,
    SILTA_WORKER_IDLE_MS: "50",
    SILTA_HTTP_TIMEOUT_MS: "5000",
    SILTA_ADMIN_TOKENS: adminToken,
    SILTA_HANDLER_TOKENS: handlerToken,
    // The simulated cases' photos live on the simulator's attachment host (S5's media allow-list).
    SILTA_MEDIA_HOSTS: "asiointi.hel.fi,attachments.open311-sim.example",
    // A sandbox's cases all arrive at once, so its crews report in bursts no real contractor makes:
    // at the production default (20/s) a simulated contractor that gives up after five 429s lost
    // its last events, and a run of a few hundred cases never settled.
    SILTA_RATE_LIMIT_CONTRACTOR_PER_SECOND: "500",
    SILTA_RATE_LIMIT_CONTRACTOR_BURST: "1000",
  };
  const staraInbound = generateWebhookSecret();
  const pushSecret = generateWebhookSecret();
  const webhookSecrets = new Map<string, string>();
  // Helsinki's authoritative intake: the city's signed push, and list reads with the key.
  const push = options.push || (open311Profile === "helsinki" && !options.fromFile);
  if (push) {
    env.SILTA_OPEN311_PUSH_SECRETS = pushSecret;
    webhookSecrets.set("open311-push", pushSecret);
  }
  env.SILTA_OPEN311_PROFILE = open311Profile;
  env.SILTA_OPEN311_INTAKE = "keyed-list";
  let offset = 2;
  for (const target of mappings.targets.values()) {
    const prefix = targetEnvPrefix(target.id);
    // The simulators listen on loopback: the operator's opt-in the outbound guard asks for (S5).
    env[`${prefix}ALLOW_PRIVATE`] = "true";
    if (target.kind === "stara") {
      env[`${prefix}URL`] = stara.url;
      env[`${prefix}TOKEN`] = stara.sim.token;
      env[`${prefix}WEBHOOK_SECRETS`] = staraInbound;
      webhookSecrets.set(target.id, staraInbound);
    } else {
      const secret = generateWebhookSecret();
      const sim = await startContractorSimulator({ seed: options.seed + offset++, webhookSecrets: [secret], progress });
      sim.sim.knobs.photoRate = options.photoFraction ?? 0;
      contractors.set(target.id, sim);
      env[`${prefix}URL`] = sim.endpointUrl;
      env[`${prefix}WEBHOOK_SECRETS`] = secret;
      webhookSecrets.set(target.id, secret);
    }
  }
  // Records from a file can be years old: the first poll reaches back to the oldest of them.
  let pollLookbackMs: number | undefined;
  if (options.fromFile) {
    const loaded = await loadRecordsFromFile(options.fromFile, helsinki.sim);
    say(`loaded ${loaded.added} records from ${options.fromFile}; ${loaded.rejected.length} rejected`);
    for (const reject of loaded.rejected) say(`  record ${reject.index} rejected: ${reject.reason}`);
    const times = [...helsinki.sim.store.cases.values()]
      .map((c) => Date.parse(String(c.record.updated_datetime ?? "")))
      .filter(Number.isFinite);
    if (times.length > 0) pollLookbackMs = Date.now() - Math.min(...times) + 86_400_000;
  }
  const runtime = options.runtime ?? "node";
  // Fail-over: a loopback SMTP server takes the fallback work orders and the alerts.
  const failOverTarget = options.failOver ?? null;
  if (failOverTarget && (runtime === "worker" || !contractors.has(failOverTarget)))
    throw new Error(`--fail-over takes a contractor (${[...contractors.keys()].join(", ")}) on the node runtime`);
  const smtp = failOverTarget ? await startLoopbackSmtp() : null;
  const mailbox = smtp?.mails ?? [];
  if (smtp) {
    Object.assign(env, {
      SILTA_SMTP_URL: smtp.url,
      SILTA_SMTP_FROM: "silta@sandbox.example",
      SILTA_ALERT_EMAIL_TO: "ops@sandbox.example",
    });
    const down = contractors.get(failOverTarget ?? "");
    if (down) down.sim.knobs.outage = true;
  }
  let worker: RunningWorker | null = null;
  let silta: SandboxSilta;
  if (runtime === "worker") {
    const databaseUrl = options.db ?? options.databaseUrl;
    if (!databaseUrl?.startsWith("postgres")) {
      throw new Error("--runtime worker needs a PostgreSQL server: pass --db postgres://… (workerd cannot open PGlite)");
    }
    // A scheduled run works for a few seconds, so that the sandbox's polls come round often; the
    // re-read reaches the sandbox's fresh cases without pausing between calls.
    Object.assign(env, {
      SILTA_WORKER_TIME_BUDGET_MS: "3000",
      SILTA_ANTI_ENTROPY_DAYS: String(Math.max(2, Math.ceil((pollLookbackMs ?? 0) / 86_400_000))),
      SILTA_ANTI_ENTROPY_CALL_GAP_MS: "0",
      ...(pollLookbackMs ? { SILTA_POLL_LOOKBACK_HOURS: String(Math.min(2160, Math.ceil(pollLookbackMs / 3_600_000))) } : {}),
    });
    const config = parseConfig(env, [...mappings.targets.values()]);
    say("building the Worker bundle and starting workerd");
    // Loaded only here: Miniflare and wrangler are development tools, not needed by `silta start`.
    const { buildWorkerBundle, startWorker } = await import("./worker-silta.ts");
    const bundle = await buildWorkerBundle();
    const signals = ["SIGINT", "SIGTERM"] as const;
    const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
    worker = await startWorker(bundle, env, databaseUrl);
    if (options.handlesSignals) {
      // Its "exit" hook stays: workerd is still disposed of however the process ends.
      for (const signal of signals) {
        for (const listener of process.listeners(signal)) {
          if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
        }
      }
    }
    const running = worker;
    silta = {
      url: running.url,
      deps: buildDeps(config, { database, mappings, log, workerId: "sandbox-observer" }),
      pollNow: () => running.pollNow(),
      logs: running.logs,
      async stop() {
        await running.stop();
        bundle.remove();
      },
    };
  } else {
    const config = parseConfig(env, [...mappings.targets.values()]);
    silta = await startSiltaNode(config, {
      database,
      log,
      schedule: false,
      settings: {
        retry: { baseMs: 200, capMs: 5_000, horizonMs: 10 * 60_000 },
        // A target that comes back is probed again within seconds, not the production half-minute.
        breaker: { failureThreshold: 5, openMs: 2_000 },
        ...(pollLookbackMs ? { pollLookbackMs } : {}),
      },
    });
  }
  const failOver = failOverTarget ? { target: failOverTarget, mailbox, returned: false } : null;
  if (failOver) {
    // The fallback at once: the sandbox has no half hour to wait.
    const policy = silta.deps.mappings.targets.get(failOver.target)?.policy;
    if (policy) policy.fallback = { email: `duty@${failOver.target}.example`, afterMinutes: 0 };
  }
  /**
   * Fail-over's rhythm: alerts evaluated each poll, waiting orders e-mailed; once every waiting
   * order of the target went by e-mail (or 20 s passed), the contractor's system comes back.
   */
  const failOverStarted = performance.now();
  const driveFailOver = async () => {
    if (!failOver) return;
    await sendFallbacks(silta.deps);
    await evaluateAlerts(silta.deps, { deadLetterThreshold: 1_000, maxNoticesPerHour: 1_000 });
    if (failOver.returned) return;
    const [waiting] = await database.rows<{ unsent: number; sent: number }>(sql`
      select count(*) filter (where not (payload ? 'fallbackAt'))::int as unsent, count(*) filter (where payload ? 'fallbackAt')::int as sent
      from outbox_jobs where target = ${failOver.target} and kind = 'create_work_order' and state = 'pending'`);
    const allSent = Number(waiting?.sent ?? 0) > 0 && Number(waiting?.unsent ?? 0) === 0;
    if (allSent || performance.now() - failOverStarted > 20_000) {
      const back = contractors.get(failOver.target);
      if (back) back.sim.knobs.outage = false;
      failOver.returned = true;
      say(`${failOver.target} is back: its e-mailed work orders now go to its system, looked up first`);
    }
  };

  stara.sim.setWebhookTarget(`${silta.url}/webhooks/stara`, [staraInbound]);
  if (push) helsinki.sim.setPushTarget(`${silta.url}/intake/open311`, [pushSecret]);
  const contractorKeys = new Map<string, string>();
  for (const [targetId, sim] of contractors) {
    const key = await issueContractorKey(database, targetId, "sandbox");
    contractorKeys.set(targetId, key);
    sim.sim.setSilta(silta.url, key);
  }

  /**
   * The desk closes some finished cases and, after Silta has seen them closed, reopens them: the
   * fault is still there. Each finished first-round case is considered once. A plain server's
   * `closed` means resolved (it would cancel), so only the Helsinki profile does this.
   */
  const consideredForRework = new Set<string>();
  const reopenSome = async () => {
    const fraction = options.reworkFraction ?? 0;
    if (fraction <= 0 || open311Profile !== "helsinki") return;
    const finished = await database.rows<{ id: string }>(
      sql`select distinct case_id as id from links where round = 1 and state = 'forwarded' and field_status = 'completed' order by 1`,
    );
    const chosen = finished
      .map((row) => row.id)
      .filter((id) => !consideredForRework.has(id) && consideredForRework.add(id) && rng.chance(fraction));
    const closed = chosen.filter((id) => helsinki.sim.closeCase(id, "Käsitelty."));
    if (closed.length === 0) return;
    await silta.pollNow();
    for (const id of closed) helsinki.sim.reopenCase(id, "Avattu uudelleen: vika ei korjautunut.");
    await silta.pollNow();
  };

  /**
   * The desk marks some routed cases as duplicates of an earlier case of the same service at the
   * same contractor (the same fault reported twice); each case is considered once.
   */
  const consideredAsDuplicate = new Set<string>();
  const markSomeDuplicates = async () => {
    const fraction = options.duplicateFraction ?? 0;
    if (fraction <= 0) return;
    const routed = await database.rows<{ id: string; key: string }>(
      sql`select c.id, c.service_code || '/' || l.target as key from cases c join links l on l.case_id = c.id and l.round = 1
          where c.disposition = 'routed' and c.duplicate_of is null and l.state in ('pending', 'forwarded')
            and l.field_status in ('pending', 'sent', 'received', 'in_progress') order by c.id`,
    );
    const firstOf = new Map<string, string>();
    let marked = 0;
    for (const { id, key } of routed) {
      const parent = firstOf.get(key);
      if (!parent) {
        firstOf.set(key, id);
        continue;
      }
      if (consideredAsDuplicate.has(id)) continue;
      consideredAsDuplicate.add(id);
      if (rng.chance(fraction) && helsinki.sim.markDuplicate(id, parent)) marked++;
    }
    if (marked > 0) await silta.pollNow();
  };

  /**
   * A stand-in for the case handlers: each photo waiting for review is looked at once, and about
   * half are approved for publication (the rest show faces or plates, say, and stay in Silta).
   */
  const reviewedPhotos = new Set<number>();
  const reviewSomePhotos = async () => {
    if ((options.photoFraction ?? 0) <= 0) return;
    const waiting = await database.rows<{ id: number; case_id: string }>(
      sql`select id, case_id from photos where state = 'pending' order by id`,
    );
    for (const photo of waiting) {
      const id = Number(photo.id);
      if (reviewedPhotos.has(id)) continue;
      reviewedPhotos.add(id);
      await reviewPhoto(silta.deps, "handler:sandbox", photo.case_id, id, rng.chance(0.5) ? "approve" : "reject");
    }
  };

  const addCases = (n: number) => {
    if (n <= 0) return;
    const now = Date.now();
    // New reports as the desk receives them (stamped now: a record stamped minutes back is a late
    // commit, which only the poll's minute-by-minute deep re-read takes in); a few already handed
    // elsewhere show the exclusion at work.
    helsinki.sim.generateCases(n, {
      from: now - 1_000,
      to: now,
      fieldStatusWeights: [
        ["RECEIVED", 60],
        ["IN_PROCESS", 35],
        ["PROCESSED,PUBLIC_WORKS_NEW", 5],
      ],
    });
  };
  if (!options.fromFile) addCases(options.cases);

  const withdrawn = new Set<string>();
  let lastReRead = performance.now();
  const reRead = async () => {
    lastReRead = performance.now();
    // Sandbox cases are recent: two days reach them all (file records widen the poll instead).
    const days = Math.max(2, Math.ceil((pollLookbackMs ?? 0) / 86_400_000));
    if (worker) {
      // The Worker's nightly trigger: the anti-entropy re-read (and retention, a no-op on fresh cases).
      await worker.scheduled(WORKER_CRONS.nightly);
      return;
    }
    const summary = await reReadSource(silta.deps, { days, callGapMs: 0 });
    if (summary.missing > 0) say(`anti-entropy re-read: ${summary.missing} case(s) the polls had missed, taken in`);
  };
  /** A case for the handler page: one routed already (work orders to show), else the city's first. */
  const exampleCaseId = async (): Promise<string> => {
    const [routed] = await database.rows<{ id: string }>(
      sql`select c.id from cases c where c.disposition = 'routed' and exists (select 1 from links l where l.case_id = c.id) order by c.id limit 1`,
    );
    return routed?.id ?? helsinki.sim.store.cases.keys().next().value ?? "<service_request_id>";
  };
  const info = async (): Promise<SandboxInfo> => {
    const url = silta.url;
    const caseId = encodeURIComponent(await exampleCaseId());
    const sortedEntries = (map: Map<string, string>) => Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
    return {
      urls: {
        silta: url,
        health: `${url}/healthz`,
        console: `${url}/admin`,
        adminApiDocs: `${url}/api/admin/v1/docs`,
        handlerPage: `${url}/cases/${caseId}?token=${encodeURIComponent(handlerToken)}&lang=fi`,
        handlerPageTemplate: `${url}/cases/{id}?token=${encodeURIComponent(handlerToken)}&lang=fi`,
        caseStatus: `${url}/api/v1/cases/{id}`,
        contractorApi: `${url}/api/contractor/v1/openapi.json`,
        contractorApiDocs: `${url}/api/contractor/v1/docs`,
        helsinkiOpen311: `${helsinki.url}/requests.json?extensions=true`,
        stara: `${stara.url}/__sim/state`,
        contractors: Object.fromEntries([...contractors].map(([id, c]) => [id, `${c.url}/__sim/state`])),
      },
      adminToken,
      handlerToken,
      contractorKeys: sortedEntries(contractorKeys),
      webhookSecrets: sortedEntries(webhookSecrets),
      database: { ...databaseInfo, label: databaseLabel },
      siltaEnvironment: { ...env },
      pid: process.pid,
      runtime,
      seed: options.seed,
    };
  };
  return {
    silta,
    runtime,
    helsinki,
    stara,
    contractors,
    contractorKeys,
    adminToken,
    handlerToken,
    webhookSecrets,
    info,
    database,
    databaseLabel,
    addCases,
    open311Profile,
    reRead,
    async poll() {
      await silta.pollNow();
      // Cases reported days ago arrive late already: their alarms are raised while the work is under way.
      await raiseLateAnswerAlarms(silta.deps);
      if (performance.now() - lastReRead >= 15_000) await reRead();
      await reopenSome();
      await markSomeDuplicates();
      await reviewSomePhotos();
      await driveFailOver();
      if (options.cancelFraction <= 0) return;
      const routed = await database.rows<{ id: string }>(sql`select id from cases where disposition = 'routed' order by id`);
      let cancelled = 0;
      for (const { id } of routed) {
        if (withdrawn.has(id)) continue;
        withdrawn.add(id);
        if (rng.chance(options.cancelFraction) && helsinki.sim.cancelCase(id, "Peruttu: ilmoitus oli virheellinen.")) cancelled++;
      }
      // Take the withdrawals in at once, while their work orders are still on their way.
      if (cancelled > 0) await silta.pollNow();
    },
    progress: () => readProgress(database, { writeBack: silta.deps.source?.writeBack.enabled ?? true }),
    failOver,
    async stop() {
      helsinki.sim.setPushTarget(null);
      await smtp?.close();
      await silta.stop();
      await Promise.all([helsinki.close(), stara.close(), ...[...contractors.values()].map((c) => c.close())]);
      if (!options.database) await database.close();
    },
  };
}
