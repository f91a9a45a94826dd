import type { Command } from "commander";
import type { CommandSettings } from "../config/config.ts";
import { openDatabase, parseDatabaseTarget } from "../db/open-node.ts";
import { type AuditAnchor, parseAuditAnchor, verifyAuditChain } from "../domain/admin/audit-verify.ts";
import { databaseFlag } from "./environment.ts";

export function registerAuditCommand(program: Command, settings: CommandSettings): void {
  const audit = program.command("audit").description("Inspect the tamper-evident audit trail (S7)");
  audit
    .command("verify")
    .description("Walk the audit hash chain and report the first edited, inserted or deleted row")
    .option("--db <url-or-path>", "a postgres:// URL or a PGlite data folder", databaseFlag(settings.database))
    .option("--expect-head <seq:hash>", "the head an earlier verify printed: that row must still be in the chain, unchanged")
    .option("--expect-count <n>", "the chain must hold at least this many rows")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nExit code 0: the chain is intact; 1: it is broken (the message names the row id); 2: bad options.\n" +
        "Rows deleted at the end leave a shorter chain that is still consistent: keep the head printed by each\n" +
        "run (seq:hash) outside the database, e.g. in the operations log, and pass it with --expect-head next time.",
    )
    .action(async (options: { db: string; expectHead?: string; expectCount?: string; json?: boolean }) => {
      const anchor: AuditAnchor = {};
      if (options.expectHead !== undefined) {
        const head = parseAuditAnchor(options.expectHead);
        if (!head) {
          console.error("--expect-head: expected <seq>:<64 hex digits>, as printed by an earlier `silta audit verify`");
          process.exitCode = 2;
          return;
        }
        anchor.head = head;
      }
      if (options.expectCount !== undefined) {
        const count = Number(options.expectCount);
        if (!Number.isInteger(count) || count < 0) {
          console.error("--expect-count: expected a whole number of rows");
          process.exitCode = 2;
          return;
        }
        anchor.count = count;
      }
      // Read-only: no migrations, so the application's role can run it too.
      const database = await openDatabase(parseDatabaseTarget(options.db));
      try {
        const result = await verifyAuditChain(database, anchor);
        if (options.json) console.log(JSON.stringify(result, null, 2));
        else if (result.ok) {
          console.log(`audit chain intact: ${result.rows} row(s)`);
          if (result.head)
            console.log(
              `head: ${result.head.seq}:${result.head.hash}  (keep it; next time: --expect-head ${result.head.seq}:${result.head.hash})`,
            );
        } else {
          console.log(`audit chain BROKEN: ${result.problem?.message}`);
          console.log(`verified before the break: ${result.rows} row(s)`);
        }
        process.exitCode = result.ok ? 0 : 1;
      } finally {
        await database.close();
      }
    });
}
