import { type Command, InvalidArgumentError, Option } from "commander";
import { createNodeLogger } from "../runtime/logger-node.ts";
import { type DriftSummary, injectAndRepairDrift } from "../sandbox/drift.ts";
import { formatSandboxInfo, writeSandboxInfo } from "../sandbox/info.ts";
import { formatProgress } from "../sandbox/progress.ts";
import { type Sandbox, startSandbox } from "../sandbox/sandbox.ts";
import { runUntilSettled } from "../sandbox/settle.ts";
import { sandboxPassed, summarizeSandbox } from "../sandbox/summary.ts";

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number ≥ 0");
  return n;
}

interface SandboxFlags {
  cases: number;
  untilSettled?: boolean;
  json?: boolean;
  seed: number;
  db?: string;
  reset?: boolean;
  port: number;
  fromFile?: string;
  timeout: number;
  cancelPercent: number;
  reworkPercent: number;
  duplicatePercent: number;
  photoPercent: number;
  failOver?: string;
  mappings: string;
  push?: boolean;
  verbose?: boolean;
  injectDrift: number;
  open311Profile: "helsinki" | "generic";
  runtime: "node" | "worker";
  infoFile?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function registerSandboxCommand(program: Command): void {
  program
    .command("sandbox")
    .description("Run Silta with simulated Helsinki Open311, Stara and contractors on loopback, with generated cases")
    .option("--cases <n>", "cases to generate", wholeNumber, 50)
    .option("--until-settled", "run headless until every routed case is at rest (or --timeout), then print a summary and exit")
    .option("--json", "print the summary as one JSON object on stdout (progress goes to stderr)")
    .option("--seed <n>", "seed for every random choice, so a run replays", wholeNumber, 1)
    .option("--db <url-or-path>", "a postgres:// URL or a PGlite folder (default: a fresh PGlite folder, .silta/sandbox)")
    .option("--reset", "empty the database given with --db first")
    .option("--port <port>", "Silta's HTTP port", wholeNumber, 8080)
    .option(
      "--from-file <file>",
      "seed the Helsinki simulator with GeoReport v2 records from this JSON file instead of generating cases",
    )
    .option("--timeout <seconds>", "give up settling after this long", wholeNumber, 180)
    .option("--cancel-percent <n>", "share of routed cases the city withdraws (exercises cancellation)", wholeNumber, 3)
    .option(
      "--rework-percent <n>",
      "share of finished cases the desk reopens as not fixed (exercises rework; helsinki profile)",
      wholeNumber,
      10,
    )
    .option(
      "--duplicate-percent <n>",
      "share of routed cases the desk marks as duplicates of an earlier one (they share its work order)",
      wholeNumber,
      5,
    )
    .option(
      "--photo-percent <n>",
      "share of completed work orders whose crew sends a photo; a stand-in handler approves about half",
      wholeNumber,
      30,
    )
    .option(
      "--fail-over <target>",
      "take this contractor down from the start: its work orders go by e-mail to a loopback SMTP server, then it comes back",
    )
    .option("--mappings <dir>", "the mappings folder", "mappings")
    .option(
      "--push",
      "the Helsinki simulator also pushes new and changed cases to Silta (POST /intake/open311); the poll still runs",
    )
    .option("--verbose", "print Silta's JSON log lines on stderr")
    .addOption(
      new Option(
        "--open311-profile <profile>",
        "the Open311 server to simulate: helsinki (200-row cap, most cases unpublished, reached by push and keyed reads) or generic (100-row pages newest first, no write-back, closed = resolved)",
      )
        .choices(["helsinki", "generic"])
        .default("helsinki"),
    )
    .addOption(
      new Option(
        "--runtime <runtime>",
        "where Silta runs: node (this process) or worker (the Cloudflare Worker bundle in workerd, offline; needs --db postgres://…)",
      )
        .choices(["node", "worker"])
        .default("node"),
    )
    .option(
      "--info-file <file>",
      "also write the URLs, tokens, contractor keys, webhook secrets and database as JSON to this file (mode 0600; sandbox only, throwaway)",
    )
    .option(
      "--inject-drift <k>",
      "with --until-settled: after settling, make the simulators silently lose or change k work orders, then reconcile with repair until repaired",
      wholeNumber,
      0,
    )
    .addHelpText(
      "after",
      "\nExamples:\n  npx silta sandbox                                  # interactive: open the printed URL, Ctrl-C to stop\n  npx silta sandbox --info-file .silta/sandbox-info.json   # also every URL, token, key and secret as JSON\n  npx silta sandbox --cases 200 --until-settled --json --seed 7\n  npx silta sandbox --cases 100 --until-settled --json --inject-drift 10   # drift, then reconciliation repairs it\n  npx silta sandbox --runtime worker --db postgres://postgres@127.0.0.1:5432/test --reset --cases 200 --until-settled --json\n  npx silta sandbox --from-file test/fixtures/helsinki/helsinki-requests-2014-2016-reconstructed-subset.json",
    )
    .action(async (flags: SandboxFlags) => {
      const headless = Boolean(flags.untilSettled);
      if (flags.injectDrift > 0 && !headless) {
        console.error("silta sandbox: --inject-drift needs --until-settled (drift is injected after the run settles)");
        process.exitCode = 2;
        return;
      }
      const say = (line: string) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
      const started = performance.now();
      const elapsed = () => (performance.now() - started) / 1000;
      const sandbox: Sandbox = await startSandbox({
        seed: flags.seed,
        cases: flags.cases,
        ...(flags.fromFile ? { fromFile: flags.fromFile } : {}),
        ...(flags.db ? { db: flags.db } : {}),
        reset: Boolean(flags.reset),
        port: flags.port,
        mappingsDir: flags.mappings,
        pollIntervalMs: 1000,
        fieldDelayMs: headless ? { min: 20, max: 300 } : { min: 1000, max: 8000 },
        cancelFraction: flags.cancelPercent / 100,
        reworkFraction: flags.reworkPercent / 100,
        duplicateFraction: flags.duplicatePercent / 100,
        photoFraction: flags.photoPercent / 100,
        ...(flags.failOver ? { failOver: flags.failOver } : {}),
        push: Boolean(flags.push),
        open311Profile: flags.open311Profile,
        runtime: flags.runtime,
        handlesSignals: true,
        say,
        ...(flags.verbose ? { log: createNodeLogger("info") } : {}),
      });
      say(
        `Silta sandbox (seed ${flags.seed}, ${sandbox.databaseLabel}, Open311 profile ${flags.open311Profile}, runtime ${sandbox.runtime})`,
      );
      // From here on a Ctrl-C stops the sandbox and prints its summary (see handlesSignals).
      let stopping = false;
      const stop = () => {
        stopping = true;
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      // One poll first, so that the handler page printed shows a case Silta has routed.
      await sandbox
        .poll()
        .catch((error: unknown) => say(`poll failed: ${error instanceof Error ? error.message : String(error)}`));
      const info = await sandbox.info();
      for (const line of formatSandboxInfo(info)) say(line);
      if (flags.infoFile) {
        writeSandboxInfo(flags.infoFile, info);
        say(`  Info file:        ${flags.infoFile}   (JSON, mode 0600)`);
      }

      let settled = false;
      let drift: DriftSummary | undefined;
      if (headless) {
        settled = await runUntilSettled(sandbox, {
          timeoutMs: flags.timeout * 1000,
          pollIntervalMs: 1000,
          onProgress: (p) => say(formatProgress(p, elapsed())),
          shouldStop: () => stopping,
        });
        if (!settled) say(`not settled after ${elapsed().toFixed(0)}s (timeout ${flags.timeout}s)`);
        if (settled && flags.injectDrift > 0) {
          drift = await injectAndRepairDrift(sandbox, { count: flags.injectDrift, timeoutMs: flags.timeout * 1000, say });
          settled = await runUntilSettled(sandbox, { timeoutMs: 30_000, pollIntervalMs: 1000, shouldStop: () => stopping });
        }
      } else {
        say("Cases keep arriving every few seconds; Ctrl-C stops the sandbox and prints a summary.");
        let lastTrickle = performance.now();
        let lastPrint = 0;
        while (!stopping) {
          await sandbox
            .poll()
            .catch((error: unknown) => say(`poll failed: ${error instanceof Error ? error.message : String(error)}`));
          const now = performance.now();
          if (now - lastTrickle >= 4000) {
            lastTrickle = now;
            sandbox.addCases(1);
          }
          if (now - lastPrint >= 3000) {
            lastPrint = now;
            say(formatProgress(await sandbox.progress(), elapsed()));
          }
          await sleep(1000);
        }
      }
      // Take in the last arrivals and re-read the source's whole set, so that the summary counts
      // them. Interactive, a failure here (a Ctrl-C in the terminal also stops workerd) leaves
      // the summary to say what was reached.
      const lastRound = async () => {
        if (!headless) await sandbox.poll();
        await sandbox.reRead();
      };
      if (headless) await lastRound();
      else
        await lastRound().catch((error: unknown) =>
          say(`last poll failed: ${error instanceof Error ? error.message : String(error)}`),
        );
      say(formatProgress(await sandbox.progress(), elapsed()));
      const summary = await summarizeSandbox(sandbox, {
        seed: flags.seed,
        // Headless: whether the wait settled in time; interactive: the state alone decides.
        settled: settled || !headless,
        seconds: elapsed(),
        ...(drift
          ? {
              drift: {
                injected: drift.injected,
                detected: drift.detected,
                repaired: drift.repaired,
                open: drift.open,
                repairable: drift.repairable,
              },
            }
          : {}),
      });
      if (drift && (drift.detected < drift.injected || drift.repaired < drift.repairable)) {
        for (const item of drift.items) say(`  drift ${JSON.stringify(item)}`);
      }
      await sandbox.stop();
      if (flags.json) console.log(JSON.stringify(summary));
      else say(`summary: ${JSON.stringify(summary, null, 2)}`);
      // Stopped with Ctrl-C, a run may well be mid-way: said so, but not a failure.
      const passed = sandboxPassed(summary, { requireSettled: headless });
      if (!headless && !summary.settled) {
        say(
          `stopped before everything was at rest: ${summary.unsettledCases} routed case(s) still in progress, ${summary.retryingJobs} job(s) retrying (settled: false)`,
        );
      }
      if (!passed) say("FAILED: lost, duplicated, unbalanced, leaked, unsettled or drift left unrepaired (see the summary)");
      process.exitCode = passed ? 0 : 1;
    });
}
