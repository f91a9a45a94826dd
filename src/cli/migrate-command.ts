import type { Command } from "commander";
import { migrateDatabase } from "../db/migrate-node.ts";
import { openDatabase, parseDatabaseTarget } from "../db/open-node.ts";

export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("Apply the database migrations in drizzle/ (Silta also does this at start)")
    .option(
      "--db <url-or-path>",
      "a postgres:// URL or a PGlite data folder",
      process.env.DATABASE_URL ?? process.env.SILTA_DATA_DIR ?? ".silta/data",
    )
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
