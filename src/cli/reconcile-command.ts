import type { Command } from "commander";
import { migrateDatabase } from "../db/migrate-node.ts";
import { openDatabase, parseDatabaseTarget } from "../db/open-node.ts";
import { reReadSource } from "../domain/intake/anti-entropy.ts";
import { type ReconcileReport, reconcileOpenLinks } from "../domain/reconcile/reconcile.ts";
import { loadMappingsFromDir } from "../mappings/load-node.ts";
import { buildDeps } from "../runtime/build-deps.ts";
import { createNodeLogger } from "../runtime/logger-node.ts";
import { guardedFetchFactory } from "../runtime/outbound-fetch-node.ts";
import type { CommandEnvironment } from "./environment.ts";

interface ReconcileFlags {
  json?: boolean;
  repair?: boolean;
  db?: string;
  mappings: string;
  limit: number;
  source?: boolean;
  days?: number;
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
    .option("--db <url-or-path>", "a postgres:// URL or a PGlite data folder (default: DATABASE_URL or SILTA_DATA_DIR)")
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
      "\nReads the targets' and the case system's connection settings from the environment, as `silta start`.\nFindings close themselves when a later run no longer sees the drift; repairs are queued for the\nrunning Silta's work loop (outbox and inbox). Exit status: 0 when nothing is open, 1 when findings\nare open, 2 on a configuration error.\n\nExamples:\n  npx silta reconcile\n  npx silta reconcile --repair --json",
    )
    .action(async (flags: ReconcileFlags) => {
      const mappings = loadMappingsFromDir(flags.mappings);
      const config = environment.config([...mappings.targets.values()]);
      const database = await openDatabase(flags.db ? parseDatabaseTarget(flags.db) : config.database);
      const say = (line: string) => process.stderr.write(`${line}\n`);
      try {
        await migrateDatabase(database);
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
