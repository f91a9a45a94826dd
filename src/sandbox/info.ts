import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Where the sandbox keeps its PGlite database when not given `--db` (relative to the working folder). */
export const SANDBOX_DATA_DIR = ".silta/sandbox";

/**
 * Everything a person needs to try each of the sandbox's surfaces, as `silta sandbox` prints it
 * and writes it with `--info-file` (JSON, mode 0600). The tokens, keys and secrets are the
 * sandbox's own, fresh each run and good for nothing else.
 */
export interface SandboxInfo {
  urls: {
    silta: string;
    health: string;
    /** The admin console (log in with `adminToken`). */
    console: string;
    adminApiDocs: string;
    /** A handler's page for one of the sandbox's cases, with the handler token, in Finnish. */
    handlerPage: string;
    /** The same page for any case: replace {id}. */
    handlerPageTemplate: string;
    /** The case status as JSON (`Authorization: Bearer <handlerToken>` or `?token=`). */
    caseStatus: string;
    contractorApi: string;
    contractorApiDocs: string;
    helsinkiOpen311: string;
    stara: string;
    /** Each contractor simulator's own state. */
    contractors: Record<string, string>;
  };
  /** Bearer token for the console and the admin API. */
  adminToken: string;
  /** Read-only token for the handler's case pages (SILTA_HANDLER_TOKENS). */
  handlerToken: string;
  /** The API key Silta issued to each contractor (`Authorization: Bearer <key>` on the contractor API). */
  contractorKeys: Record<string, string>;
  /**
   * The webhook secrets Silta was started with: per target (`stara`: Stara signs its status
   * webhooks to Silta with it; a contractor target: Silta signs its pushes to the contractor with
   * it), and `open311-push` for the city's signed push, when the sandbox pushes.
   */
  webhookSecrets: Record<string, string>;
  /**
   * Where the sandbox's data is: a PGlite folder (`dataDir`, absolute) or a PostgreSQL server
   * (`url`, as given to `--db`); neither for a database a test opened itself.
   */
  database: { kind: "pglite" | "postgres"; label: string; dataDir?: string; url?: string };
  /**
   * The settings Silta runs with in the sandbox (SILTA_*: the simulators' URLs, tokens and
   * secrets), so that `silta reconcile --info-file` can reach the same simulators while the
   * sandbox runs.
   */
  siltaEnvironment: Record<string, string>;
  /** The sandbox's process, while it runs. */
  pid: number;
  runtime: "node" | "worker";
  seed: number;
}

/** The lines `silta sandbox` prints: a surface per line, with what it takes to use it. */
export function formatSandboxInfo(info: SandboxInfo): string[] {
  const u = info.urls;
  const lines = [
    `  Silta:            ${u.silta}   (health ${u.health})`,
    `  Console:          ${u.console}   (admin token: ${info.adminToken}; admin API ${u.adminApiDocs})`,
    `  Handler page:     ${u.handlerPage}`,
    `                    (handler token: ${info.handlerToken}; any case: ${u.handlerPageTemplate}, JSON ${u.caseStatus})`,
    `  Contractor API:   ${u.contractorApiDocs}   (OpenAPI ${u.contractorApi})`,
  ];
  for (const [id, key] of Object.entries(info.contractorKeys)) lines.push(`    ${`${id} key:`.padEnd(22)}${key}`);
  lines.push("  Webhook secrets (sandbox only):");
  for (const [id, secret] of Object.entries(info.webhookSecrets)) lines.push(`    ${id.padEnd(22)}${secret}`);
  lines.push(`  Helsinki Open311: ${u.helsinkiOpen311}`);
  lines.push(`  Stara:            ${u.stara}`);
  for (const [id, url] of Object.entries(u.contractors)) lines.push(`  ${id.padEnd(17)} ${url}`);
  if (info.database.dataDir) {
    lines.push(`  Ledger:           npx silta ledger check --db ${info.database.dataDir}   (after the sandbox stops)`);
  } else if (info.database.url) {
    lines.push("  Ledger:           npx silta ledger check --db <the --db URL>   (beside the sandbox or after it)");
  }
  return lines;
}

/**
 * Writes the info as JSON readable by its owner only (0600): through a fresh file renamed into
 * place, so that a file that was there before never holds the secrets with its old mode.
 */
export function writeSandboxInfo(file: string, info: SandboxInfo): void {
  const path = resolve(file);
  const temporary = join(dirname(path), `.${process.pid}-${Date.now()}.silta-info.tmp`);
  writeFileSync(temporary, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  renameSync(temporary, path);
}

/** Reads an `--info-file` the sandbox wrote; throws a message naming the file when it is not one. */
export function readSandboxInfo(file: string): SandboxInfo {
  if (!existsSync(file)) throw new Error(`--info-file ${file}: no such file (\`silta sandbox --info-file ${file}\` writes it)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`--info-file ${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const info = parsed as Partial<SandboxInfo> | null;
  if (
    !info ||
    typeof info !== "object" ||
    !info.database ||
    typeof info.siltaEnvironment !== "object" ||
    info.siltaEnvironment === null ||
    typeof info.pid !== "number"
  ) {
    throw new Error(`--info-file ${file}: not a sandbox info file (expected urls, database, siltaEnvironment, pid)`);
  }
  return info as SandboxInfo;
}

/** Whether a process with this id is running (on this machine). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as { code?: string }).code === "EPERM";
  }
}
