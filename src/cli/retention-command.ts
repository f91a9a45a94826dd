import type { Command } from "commander";
import type { CommandSettings } from "../config/config.ts";
import { openDatabase, parseDatabaseTarget } from "../db/open-node.ts";
import { purgeExpiredPersonalData } from "../domain/retention.ts";
import { databaseFlag } from "./environment.ts";

export function registerRetentionCommand(program: Command, settings: CommandSettings): void {
  const retention = program.command("retention").description("Retention of personal data (GDPR storage limitation)");
  retention
    .command("purge")
    .description("Empty the personal data and payload copies of finished cases older than the retention period")
    .option("--db <url-or-path>", "a postgres:// URL or a PGlite data folder", databaseFlag(settings.database))
    .option("--days <n>", "retention period in days (SILTA_RETENTION_DAYS)", String(settings.retentionDays))
    .option("--dry-run", "only count the cases that would be purged; change nothing")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nA case is purged when its last activity is older than --days and every link is finished (cancelled,\n" +
        "re-routed, or forwarded with a final field status; excluded cases have none) with no job or field event\n" +
        "waiting: never an open or parked one. Its snapshot keeps ids, service code and statuses; free text,\n" +
        "address, location, media and reporter go, as do crew notes, job payloads and error texts. The ledger and\n" +
        "the audit trail keep ids and hashes. Each purge leaves an audit row with counts. Silta also runs this daily\n" +
        "(SILTA_RETENTION_CRON).",
    )
    .action(async (options: { db: string; days: string; dryRun?: boolean; json?: boolean }) => {
      const days = Number(options.days);
      if (!Number.isInteger(days) || days < 1) {
        console.error("--days: expected a whole number of days, at least 1");
        process.exitCode = 2;
        return;
      }
      // No migrations here: the application role runs this too (S8).
      const database = await openDatabase(parseDatabaseTarget(options.db));
      try {
        const summary = await purgeExpiredPersonalData(
          { database, now: () => new Date() },
          { days, dryRun: options.dryRun === true },
        );
        if (options.json) console.log(JSON.stringify(summary, null, 2));
        else if (summary.dryRun)
          console.log(`dry run: ${summary.cases} case(s) older than ${days} days would be purged (before ${summary.cutoff})`);
        else
          console.log(
            `purged ${summary.cases} case(s) older than ${days} days (before ${summary.cutoff}): ${summary.inboxNotes} crew note(s), ${summary.jobs} job payload(s), ${summary.links} link reason(s)`,
          );
      } finally {
        await database.close();
      }
    });
}
