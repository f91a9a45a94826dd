#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=100
/**
 * The `silta` command. Each subcommand lives in its own file; this one only wires them up so
 * that `--help` works everywhere and errors end with a message and an exit code, not a stack.
 *
 * V8 flags (here, in package.json's scripts and in the bench's child processes), for memory:
 * - `--max-semi-space-size=8`: V8 sizes the young generation from the machine's memory, and on
 *   24 GiB it grew to 95 MB while the modules loaded and stayed there. Capped at 8 MB a
 *   semi-space, an idle process takes 178 MB instead of 290 MB.
 * - `--heap-growing-percent=100`: after each full GC, V8 lets the old generation grow to up to 4x
 *   what survived when it allocates fast. Silta keeps about 50 MB alive (half of it module code
 *   and sources), so under load the heap reached 200-230 MB, nearly all garbage, and the process
 *   340-360 MB. Growing by 2x: peak 231-243 MB with a 2,000-case backlog (against 316-363), flat
 *   at about 250 MB over 10,000 cases at 80/s, for about 10 % more CPU (more full GCs). A 1.5x
 *   factor (`--heap-growing-percent=50`, or `--max-old-space-size=1024`, which caps the factor
 *   at 1.6) saved another 20 MB for 20-25 % more CPU.
 */
import { Command } from "commander";
import { ConfigError } from "../config/config.ts";
import { databaseErrorHint, describeDatabaseError, isDatabaseError } from "../db/describe-database-error.ts";
import { MigrationsMissingError } from "../db/migrate-node.ts";
import { MappingError } from "../mappings/mappings.ts";
import { registerAuditCommand } from "./audit-command.ts";
import { CommandSetupError } from "./command-database.ts";
import { registerDbCommand } from "./db-command.ts";
import { readCommandEnvironment } from "./environment.ts";
import { registerLedgerCommand } from "./ledger-command.ts";
import { registerMappingsCommand } from "./mappings-command.ts";
import { registerMigrateCommand } from "./migrate-command.ts";
import { registerReconcileCommand } from "./reconcile-command.ts";
import { registerRetentionCommand } from "./retention-command.ts";
import { registerSandboxCommand } from "./sandbox-command.ts";
import { registerStartCommand } from "./start-command.ts";

const program = new Command()
  .name("silta")
  .description("Silta: the bridge between Open311 feedback systems and field-work contractors")
  .showHelpAfterError("(run with --help for usage)");

// The one place the command line reads the environment (through the config module).
const environment = readCommandEnvironment(process.env);
registerStartCommand(program, environment);
registerSandboxCommand(program);
registerMigrateCommand(program, environment.settings);
registerMappingsCommand(program, environment.settings);
registerLedgerCommand(program, environment.settings);
registerReconcileCommand(program, environment);
registerAuditCommand(program, environment.settings);
registerDbCommand(program, environment.settings);
registerRetentionCommand(program, environment.settings);
// A wrong setting stops a command before it runs, never --help. The sandbox reads no setting;
// start and reconcile parse the whole configuration, which reports it with every other problem.
const PARSE_THEIR_OWN = new Set(["sandbox", "start", "reconcile"]);
program.hook("preAction", (_program, command) => {
  if (!PARSE_THEIR_OWN.has(command.name())) environment.check();
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError || error instanceof MappingError) {
    console.error(error.message);
    process.exit(2);
  }
  if (error instanceof CommandSetupError || error instanceof MigrationsMissingError) {
    console.error(`silta: ${error.message}`);
    process.exit(2);
  }
  // The driver's code and message (never drizzle's "Failed query: …" with its parameters), and what to do.
  if (isDatabaseError(error)) {
    const described = describeDatabaseError(error);
    console.error(`silta: database error${described.code ? ` ${described.code}` : ""}: ${described.message}`);
    const hint = databaseErrorHint(described);
    if (hint) console.error(`  what to do: ${hint}`);
    process.exit(2);
  }
  console.error(`silta: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
