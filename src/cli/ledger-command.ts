import type { Command } from "commander";
import { migrateDatabase } from "../db/migrate-node.ts";
import { openDatabase, parseDatabaseTarget } from "../db/open-node.ts";
import { checkLedgerBalance } from "../domain/ledger.ts";

export function registerLedgerCommand(program: Command): void {
  const ledger = program.command("ledger").description("Inspect the reconciliation ledger");
  ledger
    .command("check")
    .description("Verify the balance invariant: every case forwarded, excluded, parked, cancelled or in flight")
    .option(
      "--db <url-or-path>",
      "a postgres:// URL or a PGlite data folder",
      process.env.DATABASE_URL ?? process.env.SILTA_DATA_DIR ?? ".silta/data",
    )
    .option("--json", "print the result as JSON")
    .action(async (options: { db: string; json?: boolean }) => {
      const database = await openDatabase(parseDatabaseTarget(options.db));
      try {
        await migrateDatabase(database);
        const balance = await checkLedgerBalance(database);
        if (options.json) console.log(JSON.stringify(balance, null, 2));
        else {
          console.log(
            `${balance.cases} cases: ${Object.entries(balance.accounts)
              .map(([k, v]) => `${k} ${v}`)
              .join(", ")}`,
          );
          console.log(balance.balanced ? "ledger balanced" : `ledger NOT balanced: ${balance.violationCount} case(s):`);
          for (const v of balance.violations) console.log(`  ${v.caseId}: ${v.problem}`);
        }
        process.exitCode = balance.balanced ? 0 : 1;
      } finally {
        await database.close();
      }
    });
}
