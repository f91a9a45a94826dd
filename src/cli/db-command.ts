import type { Command } from "commander";
import type { CommandSettings } from "../config/config.ts";
import { appRoleGrantStatements, grantAppRole } from "../db/app-role.ts";
import { openDatabase } from "../db/open-node.ts";

export function registerDbCommand(program: Command, settings: CommandSettings): void {
  const db = program.command("db").description("Database administration for production deployments (S8)");
  db.command("grant-app-role")
    .description("Grant an existing role what Silta needs to run, and nothing more (run as the owner, after silta migrate)")
    .argument("<role>", "the application role Silta's DATABASE_URL connects as")
    .option(
      "--db <url>",
      "the owner's postgres:// URL (the role that ran the migrations)",
      settings.migrationDatabaseUrl ?? ("url" in settings.database ? settings.database.url : undefined),
    )
    .option("--print", "only print the SQL, for a DBA to run")
    .addHelpText(
      "after",
      "\nThe role gets SELECT, INSERT, UPDATE, DELETE on Silta's tables (only SELECT, INSERT on audit_events),\n" +
        "USAGE on their sequences and SELECT on the migrations table (for /readyz); no CREATE, owns nothing,\n" +
        "so it cannot run DDL. Start Silta with that role's DATABASE_URL: start then skips migrations\n" +
        "(SILTA_MIGRATE_ON_START=auto) and /readyz reports any the owner has not applied yet.",
    )
    .action(async (role: string, options: { db?: string; print?: boolean }) => {
      if (options.print) {
        for (const statement of appRoleGrantStatements(role)) console.log(`${statement};`);
        return;
      }
      if (!options.db?.startsWith("postgres")) {
        console.error("--db: the owner's postgres:// URL is required (or SILTA_MIGRATION_DATABASE_URL / DATABASE_URL)");
        process.exitCode = 2;
        return;
      }
      const database = await openDatabase({ url: options.db }, { maxConnections: 1 });
      try {
        const statements = await grantAppRole(database, role);
        console.log(`granted ${role} (${statements.length} statements); it cannot run DDL or change audit rows`);
      } finally {
        await database.close();
      }
    });
}
