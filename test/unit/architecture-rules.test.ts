import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkImports, checkTableOwnership, readSources } from "../../scripts/check-architecture.ts";

/**
 * The rules `npm run lint` enforces (scripts/check-architecture.ts): the repository keeps them,
 * and each rule catches the violation it is there for.
 */
const ROOT = resolve(import.meta.dirname, "../..");

describe("architecture rules", () => {
  it("the repository keeps every rule", () => {
    const files = readSources(ROOT);
    expect(files.length).toBeGreaterThan(150);
    expect(checkImports(files)).toEqual([]);
    expect(checkTableOwnership(files)).toEqual([]);
  });

  it("only src/domain/jobs/ writes outbox_jobs and only src/domain/links.ts writes links", () => {
    const problems = checkTableOwnership([
      { path: "src/domain/intake/ingest.ts", text: "await tx.insert(outboxJobs).values(rows);" },
      { path: "src/domain/admin/job-actions.ts", text: "sql`update links set state = 'parked' where id = 1`" },
      { path: "src/domain/jobs/store.ts", text: "await tx.update(outboxJobs).set({ state: 'done' });" },
      { path: "src/domain/links.ts", text: "await tx.update(links).set({ state: 'forwarded' });" },
      { path: "src/domain/admin/overview.ts", text: "sql`select state, count(*) from links group by state`" },
    ]);
    expect(problems).toEqual([
      expect.stringMatching(/^src\/domain\/intake\/ingest\.ts: writes outbox_jobs; only src\/domain\/jobs\//),
      expect.stringMatching(/^src\/domain\/admin\/job-actions\.ts: writes links; only src\/domain\/links\.ts/),
    ]);
  });

  it("refuses an upward import, node: in the core and drizzle-orm in the HTTP layer or an adapter", () => {
    const problems = checkImports([
      { path: "src/lib/retry.ts", text: 'import { runJob } from "../domain/jobs/lifecycle.ts";' },
      { path: "src/config/config.ts", text: 'import { DEFAULT_RATE_LIMITS } from "../http/limits/rate-limit.ts";' },
      { path: "src/domain/links.ts", text: 'import { readFileSync } from "node:fs";' },
      { path: "src/http/ops-routes.ts", text: 'import { sql } from "drizzle-orm";' },
      { path: "adapters/stara/client.ts", text: 'import { appendLedger } from "../../src/domain/ledger.ts";' },
      // Allowed: downward imports, node: in *-node.ts and in the outer ring, drizzle in the domain.
      {
        path: "src/domain/ledger.ts",
        text: 'import { sql } from "drizzle-orm";\nimport { SiltaError } from "../kernel/errors.ts";',
      },
      { path: "src/db/open-node.ts", text: 'import { mkdirSync } from "node:fs";' },
      // node:crypto is one the Worker has too (nodejs_compat).
      { path: "src/lib/hash.ts", text: 'import { createHash } from "node:crypto";' },
      { path: "src/runtime/node-silta.ts", text: 'import { createServer } from "node:http";' },
      {
        path: "adapters/open311/simulator/serve.ts",
        text: 'import { startHttpServer } from "../../../src/runtime/node-serve.ts";',
      },
    ]);
    expect(problems).toEqual([
      expect.stringMatching(/^src\/lib\/retry\.ts: imports src\/domain\/jobs\/lifecycle\.ts; lib may not import domain/),
      expect.stringMatching(/^src\/config\/config\.ts: imports src\/http\/limits\/rate-limit\.ts; config may not import http/),
      expect.stringMatching(/^src\/domain\/links\.ts: imports node:fs/),
      expect.stringMatching(/^src\/http\/ops-routes\.ts: imports drizzle-orm/),
      expect.stringMatching(/^adapters\/stara\/client\.ts: imports src\/domain\/ledger\.ts; adapters may not import domain/),
    ]);
  });
});
