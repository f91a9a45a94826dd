import type { Command } from "commander";
import type { CommandSettings } from "../config/config.ts";
import { migrateDatabase } from "../db/migrate-node.ts";
import { openDatabase, parseDatabaseTarget } from "../db/open-node.ts";
import { databaseFlag } from "./environment.ts";

export function registerMigrateCommand(program: Command, settings: CommandSettings): void {
  program
    .command("migrate")
    .description("Apply the database migrations in drizzle/ (Silta also does this at start)")
    .option("--db <url-or-path>", "a postgres:// URL or a PGlite data folder", databaseFlag(settings.database))
    .action(async (options: { db: string }) => {
      const database = await openDatabase(parseDatabaseTarget(options.db));
      try {
        await migrateDatabase(database);
        console.log(`migrations applied (${database.kind})`);
      } finally {
        await database.close();
      }
    });
}
