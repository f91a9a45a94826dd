import type { Command } from "commander";
import type { CommandSettings } from "../config/config.ts";
import { requireMigrations } from "../db/migrate-node.ts";
import { readIntakeHealth } from "../domain/intake/intake-health.ts";
import { countQuarantinedRecords } from "../domain/intake/intake-quarantine.ts";
import { checkLedgerBalance } from "../domain/ledger.ts";
import { openCommandDatabase } from "./command-database.ts";

export function registerLedgerCommand(program: Command, settings: CommandSettings): void {
  const ledger = program.command("ledger").description("Inspect the reconciliation ledger");
  ledger
    .command("check")
    .description(
      "Verify the balance invariant (every case forwarded, excluded, parked, cancelled or in flight) and report source-side coverage",
    )
    .addHelpText(
      "after",
      "\nCoverage comes from the last anti-entropy re-read (`silta reconcile --source`, or the nightly schedule): cases at the\nsource, and how many of them Silta accounts for (taken in, or held in quarantine with a reason). Exit status 1 when\nthe ledger is not balanced or the last re-read found cases unaccounted for, 2 when there is no Silta database to\ncheck or it lacks migrations (the check only reads: it never migrates, so the application role may run it).\n\nWith no --db, DATABASE_URL or SILTA_DATA_DIR, and no Silta data in .silta/data, it checks the sandbox's\ndatabase (.silta/sandbox) and says so.",
    )
    .option(
      "--db <url-or-path>",
      "a postgres:// URL or a PGlite data folder (default: DATABASE_URL, else SILTA_DATA_DIR, else .silta/data, else the sandbox's .silta/sandbox)",
    )
    .option("--json", "print the result as JSON")
    .action(async (options: { db?: string; json?: boolean }) => {
      const { database, label } = await openCommandDatabase({
        db: options.db,
        settings,
        say: (line) => process.stderr.write(`${line}\n`),
      });
      try {
        await requireMigrations(database, { migrate: "never", label });
        const balance = await checkLedgerBalance(database);
        const health = await readIntakeHealth(database, {
          now: new Date(),
          staleMs: Number.POSITIVE_INFINITY,
          since: new Date(),
        });
        const source = { coverage: health.coverage, quarantined: await countQuarantinedRecords(database) };
        const covered = !health.coverage || health.coverage.accountedFor >= health.coverage.sourceCases;
        if (options.json) console.log(JSON.stringify({ ...balance, source }, null, 2));
        else {
          console.log(
            `${balance.cases} cases: ${Object.entries(balance.accounts)
              .map(([k, v]) => `${k} ${v}`)
              .join(", ")}`,
          );
          console.log(
            `${balance.reworkCycles} rework cycle(s); ${balance.duplicates} duplicate(s) sharing another case's work order`,
          );
          console.log(balance.balanced ? "ledger balanced" : `ledger NOT balanced: ${balance.violationCount} case(s):`);
          for (const v of balance.violations) console.log(`  ${v.caseId}: ${v.problem}`);
          const c = health.coverage;
          console.log(
            c
              ? `source (re-read ${c.at}): ${c.sourceCases} cases at the source, ${c.accountedFor} accounted for; ${c.missing} had been missed (${c.repaired} taken in); ${source.quarantined} held in quarantine${c.seesUnpublished ? "" : "; the public list shows no unpublished cases"}`
              : `source: not re-read yet (run \`silta reconcile --source\`); ${source.quarantined} record(s) held in quarantine`,
          );
        }
        process.exitCode = balance.balanced && covered ? 0 : 1;
      } finally {
        await database.close();
      }
    });
}
