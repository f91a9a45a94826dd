/**
 * The architecture rules ARCHITECTURE.md states, enforced (`npm run lint` runs this after
 * biome): layering (no file imports a higher layer), the core's platform freedom (no `node:`
 * outside files named `*-node.ts` and the outer layers; no `drizzle-orm` in `src/http` or the
 * adapters) and table ownership (one module writes each table). Exits 1 with one line per
 * violation, naming the file, the rule and what to do.
 *
 *   node scripts/check-architecture.ts [--help]
 */
import { globSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

/**
 * Layers from the bottom up: a file may import its own layer and lower ones. `adapters` and
 * `domain` share a level but may not import each other (adapters implement ports; the domain
 * uses ports). The outer ring (runtimes, CLI, sandbox, simulators) may import anything and each other.
 */
const LAYER_RANK: Record<string, number> = {
  kernel: 0,
  lib: 1,
  ports: 2,
  db: 3,
  mappings: 3,
  config: 3,
  domain: 4,
  adapters: 4,
  http: 5,
  runtime: 6,
  cli: 6,
  sandbox: 6,
  simulators: 6,
};

/** Same-level layers that may not import each other. */
const SEPARATE_SIBLINGS = new Set(["domain>adapters", "adapters>domain"]);

/** Layers where `node:` imports are allowed in any file (elsewhere only in `*-node.ts`). */
const NODE_LAYERS = new Set(["runtime", "cli", "sandbox", "simulators"]);
/**
 * `node:` modules the Worker has too (wrangler.toml's `nodejs_compat`), allowed everywhere: hashing
 * with OpenSSL costs a sixth of pure JS, and every polled row and request is hashed.
 */
const WORKER_NODE_MODULES = new Set(["node:crypto"]);
/** Layers that must not import drizzle-orm: they reach the database only through the domain. */
const NO_DRIZZLE = new Set(["http", "adapters"]);

/** Tables and the only module (file, or folder ending in /) allowed to write them. */
export const TABLE_OWNERS: Record<string, { sql: string; drizzle: string; owner: string[] }> = {
  outbox_jobs: { sql: "outbox_jobs", drizzle: "outboxJobs", owner: ["src/domain/jobs/"] },
  links: { sql: "links", drizzle: "links", owner: ["src/domain/links.ts"] },
  ledger_entries: { sql: "ledger_entries", drizzle: "ledgerEntries", owner: ["src/domain/ledger.ts"] },
  source_quarantine: { sql: "source_quarantine", drizzle: "sourceQuarantine", owner: ["src/domain/intake/intake-quarantine.ts"] },
  cases: {
    sql: "cases",
    drizzle: "cases",
    owner: ["src/domain/intake/ingest.ts", "src/domain/retention.ts", "src/domain/duplicates.ts"],
  },
  inbox_events: {
    sql: "inbox_events",
    drizzle: "inboxEvents",
    owner: [
      "src/domain/field-status/",
      "src/domain/reconcile/repair.ts",
      "src/domain/retention.ts",
      "src/domain/admin/quarantine.ts",
    ],
  },
  reconciliation_findings: {
    sql: "reconciliation_findings",
    drizzle: "reconciliationFindings",
    owner: ["src/domain/reconcile/", "src/domain/intake/anti-entropy.ts"],
  },
  poll_cursors: { sql: "poll_cursors", drizzle: "pollCursors", owner: ["src/domain/intake/"] },
  photos: { sql: "photos", drizzle: "photos", owner: ["src/domain/photos/"] },
  photo_blobs: { sql: "photo_blobs", drizzle: "photoBlobs", owner: ["src/domain/photos/"] },
  alerts: { sql: "alerts", drizzle: "alerts", owner: ["src/domain/alerts/"] },
  target_pauses: { sql: "target_pauses", drizzle: "targetPauses", owner: ["src/domain/target-pauses.ts"] },
  contractor_keys: {
    sql: "contractor_keys",
    drizzle: "contractorKeys",
    owner: ["src/domain/admin/contractor-keys.ts", "src/domain/contractor-gateway.ts"],
  },
  status_code_overrides: {
    sql: "status_code_overrides",
    drizzle: "statusCodeOverrides",
    owner: ["src/domain/admin/quarantine.ts"],
  },
  audit_events: { sql: "audit_events", drizzle: "auditEvents", owner: ["src/domain/admin/audit.ts"] },
  console_sessions: { sql: "console_sessions", drizzle: "consoleSessions", owner: ["src/domain/admin/console-sessions.ts"] },
};

export function layerOf(path: string): string | null {
  const parts = path.split("/");
  if (parts[0] === "adapters") return parts.includes("simulator") ? "simulators" : "adapters";
  if (parts[0] !== "src" || parts.length < 3) return null;
  return parts[1] ?? null;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']/g;

function importsOf(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? "");
}

/** Import rules: layering, `node:` in the core, drizzle-orm where the database is not reached. */
export function checkImports(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (from === null) continue;
    for (const spec of importsOf(file.text)) {
      if (spec.startsWith("node:")) {
        if (!NODE_LAYERS.has(from) && !file.path.endsWith("-node.ts") && !WORKER_NODE_MODULES.has(spec))
          problems.push(
            `${file.path}: imports ${spec}; the ${from} layer runs on Workers too (move it to a *-node.ts file or src/runtime)`,
          );
        continue;
      }
      if (spec === "drizzle-orm" || spec.startsWith("drizzle-orm/")) {
        if (NO_DRIZZLE.has(from))
          problems.push(`${file.path}: imports ${spec}; ${from} reaches the database only through src/domain`);
        continue;
      }
      if (!spec.startsWith(".")) continue;
      const target = relative(".", resolve(dirname(file.path), spec))
        .split("\\")
        .join("/");
      const to = layerOf(target);
      if (to === null || to === from) continue;
      const fromRank = LAYER_RANK[from];
      const toRank = LAYER_RANK[to];
      if (fromRank === undefined || toRank === undefined) continue;
      if (toRank > fromRank || (toRank === fromRank && SEPARATE_SIBLINGS.has(`${from}>${to}`)))
        problems.push(`${file.path}: imports ${target}; ${from} may not import ${to} (layers: ARCHITECTURE.md)`);
    }
  }
  return problems;
}

/** Table ownership: a write (SQL or drizzle) to a table outside its owner module. */
export function checkTableOwnership(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    if (!file.path.startsWith("src/") || file.path.startsWith("src/db/")) continue;
    for (const [table, { sql, drizzle, owner }] of Object.entries(TABLE_OWNERS)) {
      if (owner.some((o) => (o.endsWith("/") ? file.path.startsWith(o) : file.path === o))) continue;
      const sqlWrite = new RegExp(`\\b(insert\\s+into|update|delete\\s+from)\\s+${sql}\\b`, "i");
      const drizzleWrite = new RegExp(`\\.(insert|update|delete)\\(\\s*${drizzle}\\s*\\)`);
      if (sqlWrite.test(file.text) || drizzleWrite.test(file.text))
        problems.push(`${file.path}: writes ${table}; only ${owner.join(", ")} may (call its functions instead)`);
    }
  }
  return problems;
}

export function readSources(root: string): SourceFile[] {
  return globSync(["src/**/*.ts", "adapters/**/*.ts"], { cwd: root })
    .filter((path) => !path.endsWith(".d.ts"))
    .map((path) => ({ path: path.split("\\").join("/"), text: readFileSync(join(root, path), "utf8") }));
}

if (import.meta.main) {
  if (process.argv.includes("--help")) {
    process.stdout.write(
      "Usage: node scripts/check-architecture.ts\nChecks layering, node:/drizzle-orm imports and table ownership; exits 1 on a violation.\n",
    );
    process.exit(0);
  }
  const files = readSources(resolve(import.meta.dirname, ".."));
  const problems = [...checkImports(files), ...checkTableOwnership(files)];
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  process.stdout.write(`architecture: ${files.length} files, ${problems.length} violations\n`);
  process.exit(problems.length === 0 ? 0 : 1);
}
