import type { Command } from "commander";
import { ConfigError, type SiltaConfig } from "../config/config.ts";
import { requireMigrations } from "../db/migrate-node.ts";
import { reReadSource } from "../domain/intake/anti-entropy.ts";
import { type ReconcileReport, reconcileOpenLinks } from "../domain/reconcile/reconcile.ts";
import { loadMappingsFromDir } from "../mappings/load-node.ts";
import { buildDeps } from "../runtime/build-deps.ts";
import { createNodeLogger } from "../runtime/logger-node.ts";
import { guardedFetchFactory } from "../runtime/outbound-fetch-node.ts";
import { processRunning, readSandboxInfo } from "../sandbox/info.ts";
import { CommandSetupError, openCommandDatabase } from "./command-database.ts";
import type { CommandEnvironment } from "./environment.ts";

interface ReconcileFlags {
  json?: boolean;
  repair?: boolean;
  db?: string;
  mappings: string;
  limit: number;
  source?: boolean;
  days?: number;
  infoFile?: string;
}

/** What reconcile needs, said when the settings are missing: for sandbox data, where to get them. */
const SANDBOX_HINT = `For a sandbox's data: reconcile reads the simulators, which run only inside a running sandbox. Start it with
--db postgres://… --info-file F, and while it runs: silta reconcile --info-file F (the sandbox's URLs, tokens,
secrets and database). The sandbox's own reconciliation: silta sandbox --until-settled --inject-drift <k>.`;

/**
 * The settings and database of a running sandbox, from the `--info-file` it wrote: refused with
 * the reason when reconcile could not work on them (a PGlite sandbox, or one no longer running).
 */
function sandboxSettings(file: string, db: string | undefined): { env: Record<string, string>; db: string } {
  const info = readSandboxInfo(file);
  if (info.database.dataDir && !db) {
    throw new CommandSetupError(
      `the sandbox that wrote ${file} keeps its data in PGlite (${info.database.dataDir}), which serves one process at a time, and its simulators run only while it runs: reconcile cannot run beside it. Run the sandbox with --db postgres://… to reconcile beside it, or use its own reconciliation: silta sandbox --until-settled --inject-drift <k>`,
    );
  }
  if (!processRunning(info.pid)) {
    throw new CommandSetupError(
      `the sandbox that wrote ${file} (process ${info.pid}) is not running: its simulators stopped with it, so there is nothing to reconcile against. Start it again with --info-file, or check its ledger: silta ledger check --db ${info.database.dataDir ?? "<its --db URL>"}`,
    );
  }
  const url = db ?? info.database.url;
  if (!url) throw new CommandSetupError(`${file} names no database: pass --db`);
  return { env: info.siltaEnvironment, db: url };
}

/** Prints a run for people: the counts, then each finding with what to do about it. */
export function formatReconcileReport(report: ReconcileReport, limit: number): string[] {
  const lines = [
    `${report.links} open links · ${report.findings.seen} findings (${report.findings.opened} new, ${report.findings.resolved} resolved) · ${report.repairs.queued} repairs queued · ${(report.ms / 1000).toFixed(1)} s`,
    `  by kind: ${Object.entries(report.findings.byKind)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", ")}`,
  ];
  for (const [target, code] of Object.entries(report.targets.unreadable))
    lines.push(`  target ${target} could not be read: ${code}`);
  if (report.caseSystem.unreadable) lines.push(`  case system could not be read: ${report.caseSystem.unreadable}`);
  for (const finding of report.current.slice(0, limit)) {
    lines.push(
      `  #${finding.id} ${finding.kind} ${finding.subject}${finding.autoRepairable ? " (auto-repairable)" : ""}: ${finding.suggestedAction}`,
    );
  }
  if (report.current.length > limit) lines.push(`  … and ${report.current.length - limit} more (--limit, or --json for all)`);
  return lines;
}

export function registerReconcileCommand(program: Command, environment: CommandEnvironment): void {
  program
    .command("reconcile")
    .description("Compare open links with the targets, the case system and the SLA clocks; store findings; optionally repair")
    .option("--repair", "queue the safe repairs: re-send a lost create, re-pull a status, re-post a write-back")
    .option("--json", "print the run as one JSON object on stdout (progress goes to stderr)")
    .option(
      "--db <url-or-path>",
      "a postgres:// URL or a PGlite data folder (default: DATABASE_URL, else SILTA_DATA_DIR, else .silta/data, else the sandbox's .silta/sandbox)",
    )
    .option(
      "--info-file <file>",
      "reconcile a running sandbox: its settings (simulators' URLs, tokens, secrets) and database from the JSON `silta sandbox --info-file` wrote",
    )
    .option("--mappings <dir>", "the mappings folder", environment.settings.mappingsDir)
    .option("--limit <n>", "findings to print without --json", (v) => Number.parseInt(v, 10), 50)
    .option(
      "--source",
      "instead: re-read the case system's whole set (anti-entropy) and take in every case Silta missed (missing_in_silta)",
    )
    .option("--days <n>", "with --source: how far back to re-read (default SILTA_ANTI_ENTROPY_DAYS)", (v) =>
      Number.parseInt(v, 10),
    )
    .addHelpText(
      "after",
      "\nReads the targets' and the case system's connection settings from the environment, as `silta start`\n(or, with --info-file, a running sandbox's). Findings close themselves when a later run no longer sees\nthe drift; repairs are queued for the running Silta's work loop (outbox and inbox). It does not migrate\nunless migrations are missing and the role may (the owner); the application role runs it as it is.\nExit status: 0 when nothing is open, 1 when findings are open, 2 on a configuration or database error.\n\nExamples:\n  npx silta reconcile\n  npx silta reconcile --repair --json\n  npx silta reconcile --info-file .silta/sandbox-info.json   # beside a sandbox run with --db postgres://…",
    )
    .action(async (flags: ReconcileFlags) => {
      const mappings = loadMappingsFromDir(flags.mappings);
      const sandbox = flags.infoFile ? sandboxSettings(flags.infoFile, flags.db) : null;
      let config: SiltaConfig;
      try {
        config = environment.config([...mappings.targets.values()], sandbox?.env);
      } catch (error) {
        if (error instanceof ConfigError && !sandbox) {
          throw new ConfigError(
            `silta reconcile compares Silta's links with the case system and the targets: it needs their connection settings, as \`silta start\` does.\n${error.message}\n${SANDBOX_HINT}`,
          );
        }
        throw error;
      }
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const { database, label } = await openCommandDatabase({
        db: sandbox?.db ?? flags.db,
        settings: environment.settings,
        say,
      });
      try {
        if ((await requireMigrations(database, { migrate: "if-allowed", label })) === "migrated") {
          say(`silta: applied the missing migrations to ${label}`);
        }
        const deps = buildDeps(config, {
          database,
          mappings,
          workerId: `reconcile:${process.pid}`,
          log: createNodeLogger(config.logLevel === "info" ? "warn" : config.logLevel),
          outboundFetch: guardedFetchFactory(),
          source: {
            profile: config.open311.profile,
            intake: config.open311.intake,
            writeBack: { enabled: true, reason: "not used by reconciliation" },
          },
        });
        const started = performance.now();
        if (flags.source) {
          const coverage = await reReadSource(deps, {
            ...config.antiEntropy,
            ...(flags.days ? { days: flags.days } : {}),
            onProgress: ({ sourceCases, missing }) =>
              say(
                `${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s ${sourceCases} cases read, ${missing} missed`,
              ),
          });
          if (flags.json) console.log(JSON.stringify(coverage));
          else
            console.log(
              `${coverage.sourceCases} cases at the source since ${coverage.from}; ${coverage.accountedFor} accounted for; ${coverage.missing} missed by intake, ${coverage.repaired} taken in now; ${coverage.intake.quarantined} newly quarantined; ${coverage.truncatedWindows} windows still cut`,
            );
          process.exitCode = coverage.accountedFor >= coverage.sourceCases ? 0 : 1;
          return;
        }
        const report = await reconcileOpenLinks(deps, {
          repair: Boolean(flags.repair),
          onProgress: (step) => say(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s ${step}`),
        });
        if (flags.json) console.log(JSON.stringify(report));
        else for (const line of formatReconcileReport(report, flags.limit)) console.log(line);
        process.exitCode = report.current.length === 0 ? 0 : 1;
      } finally {
        await database.close();
      }
    });
}
