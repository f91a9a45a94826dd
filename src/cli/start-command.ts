import type { Command } from "commander";
import { loadMappingsFromDir } from "../mappings/load-node.ts";
import { startSiltaNode } from "../runtime/node-silta.ts";
import type { CommandEnvironment } from "./environment.ts";

export function registerStartCommand(program: Command, environment: CommandEnvironment): void {
  program
    .command("start")
    .description("Run Silta against the real endpoints in the environment (see README, Configuration)")
    .addHelpText(
      "after",
      "\nReads SILTA_* settings and DATABASE_URL from the environment. Without DATABASE_URL the embedded\ndatabase lives in SILTA_DATA_DIR (default .silta/data). Stops cleanly on SIGTERM or Ctrl-C.",
    )
    .action(async () => {
      const mappings = loadMappingsFromDir(environment.settings.mappingsDir);
      const config = environment.config([...mappings.targets.values()]);
      // Listen for the signal before starting, so that a SIGTERM during start-up also ends cleanly.
      const stopRequested = new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          console.error(`${signal}: finishing the work under way, then stopping (a second signal stops at once)`);
          // A second signal means "now": claims left are reclaimed by other workers after their lease.
          process.once(signal, () => process.exit(130));
          resolve();
        };
        process.once("SIGTERM", () => shutdown("SIGTERM"));
        process.once("SIGINT", () => shutdown("SIGINT"));
      });
      const silta = await startSiltaNode(config);
      console.error(`Silta is listening on ${silta.url} (database: ${silta.deps.database.kind})`);
      await stopRequested;
      try {
        await silta.stop();
      } catch (error) {
        console.error(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      }
      console.error("Silta stopped");
      // Nothing is left to finish; do not wait for idle sockets or timers of libraries.
      process.exit(0);
    });
}
