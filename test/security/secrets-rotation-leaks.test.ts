import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.ts";
import { issueContractorKey } from "../../src/domain/contractor-gateway.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce } from "../../src/domain/jobs/work-loop.ts";
import { generateWebhookSecret, signWebhook } from "../../src/lib/webhook-signature.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import { createNodeLogger } from "../../src/runtime/logger-node.ts";
import { type RunningSilta, startSiltaNode } from "../../src/runtime/node-silta.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { makeCase, PLACES } from "../support/fakes.ts";

/**
 * Secrets never in logs, errors, the ledger or any other table (S8): a Silta run with known
 * secret values against systems that answer 401 and echo back whatever credentials they were
 * sent (header, query, body), plus failed logins on every surface; then every log line, every
 * answer and every row is searched for every secret.
 */
const secrets = {
  adminOld: "admin-secret-old-4f1c0b9e7a2d6c53",
  adminNew: "admin-secret-new-9d3e2a7c1b5f8e04",
  handler: "handler-secret-7b2e9c4d1a6f3e08",
  staraToken: "stara-token-secret-3a9e7c1d5b2f8e46",
  open311Key: "open311-key-secret-8c2e4a6d9b1f3e75",
  staraWebhook: generateWebhookSecret(),
  eastWebhookOld: generateWebhookSecret(),
  eastWebhookNew: generateWebhookSecret(),
  westWebhook: generateWebhookSecret(),
};
/** What a caller presented by mistake (e.g. another system's secret): not to be echoed either. */
const presented = "presented-wrong-secret-1e5c9a3d7b2f";

let hostile: Server;
let database: TestDatabase;
let silta: RunningSilta;
const logLines: string[] = [];
const answers: string[] = [];
const echoed: string[] = [];
const keys: string[] = [];

beforeAll(async () => {
  // Every external system: 401, echoing the credentials it was sent.
  hostile = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const echo = JSON.stringify({
        error: "unauthorized",
        authorization: request.headers.authorization ?? null,
        signature: request.headers["webhook-signature"] ?? null,
        url: request.url,
        body,
      });
      echoed.push(echo);
      // One contractor takes its pushes, so that a write-back (with the city's API key) follows.
      if (request.url === "/west/webhooks") {
        response.writeHead(202, { "content-type": "application/json" });
        response.end("{}");
        return;
      }
      response.writeHead(401, {
        "content-type": "application/json",
        "www-authenticate": `Bearer error="${request.headers.authorization}"`,
      });
      response.end(echo);
    });
  });
  await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  const mappings = loadMappingsFromDir(MAPPINGS_DIR);
  const config = parseConfig(
    {
      SILTA_PORT: "0",
      SILTA_MAPPINGS_DIR: MAPPINGS_DIR,
      SILTA_OPEN311_URL: `${base}/open311/v1`,
      SILTA_OPEN311_API_KEY: secrets.open311Key,
      SILTA_ADMIN_TOKENS: `${secrets.adminOld},${secrets.adminNew}`,
      SILTA_HANDLER_TOKENS: secrets.handler,
      SILTA_HTTP_TIMEOUT_MS: "2000",
      SILTA_TARGET_STARA_URL: `${base}/stara`,
      SILTA_TARGET_STARA_TOKEN: secrets.staraToken,
      SILTA_TARGET_STARA_WEBHOOK_SECRETS: secrets.staraWebhook,
      SILTA_TARGET_STARA_ALLOW_PRIVATE: "true",
      SILTA_TARGET_CONTRACTOR_EAST_URL: `${base}/east`,
      SILTA_TARGET_CONTRACTOR_EAST_WEBHOOK_SECRETS: `${secrets.eastWebhookOld},${secrets.eastWebhookNew}`,
      SILTA_TARGET_CONTRACTOR_EAST_ALLOW_PRIVATE: "true",
      SILTA_TARGET_CONTRACTOR_WEST_URL: `${base}/west`,
      SILTA_TARGET_CONTRACTOR_WEST_WEBHOOK_SECRETS: secrets.westWebhook,
      SILTA_TARGET_CONTRACTOR_WEST_ALLOW_PRIVATE: "true",
    },
    [...mappings.targets.values()],
  );
  database = await createTestDatabase();
  silta = await startSiltaNode(config, {
    database,
    schedule: false,
    log: createNodeLogger("debug", { write: (line: string) => void logLines.push(line) }),
    settings: { retry: { baseMs: 1, capMs: 5, horizonMs: 60_000 } },
  });
  const revokedKey = await issueContractorKey(database, "contractor-east", "old");
  await database.rows(sql`update contractor_keys set revoked_at = now()`);
  keys.push(revokedKey, await issueContractorKey(database, "contractor-east", "new"));

  // A poll (the city answers 401), deliveries to every target (all answer 401), with retries.
  await silta.pollNow().catch(() => {});
  await ingestCases(silta.deps, [
    makeCase({ ...PLACES.east }),
    makeCase({ ...PLACES.west }),
    makeCase({ serviceCode: "174", ...PLACES.east }),
  ]);
  for (let round = 0; round < 4; round++) {
    await runWorkOnce(silta.deps);
    await database.rows(sql`update outbox_jobs set run_at = now() where state = 'pending'`);
  }

  // Failed authentication on every surface, over real HTTP.
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${silta.url}${path}`, init);
    answers.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`);
    return response.status;
  };
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const body = JSON.stringify({ tapahtumat: [] });
  const statuses = [
    await call("/api/admin/v1/overview", bearer(presented)),
    await call("/api/admin/v1/overview", bearer(`${secrets.adminOld}x`)),
    await call("/api/admin/v1/overview", bearer(keys[1] ?? "")),
    await call("/api/contractor/v1/work-orders", bearer(keys[0] ?? "")),
    await call("/api/contractor/v1/work-orders", bearer(secrets.adminOld)),
    await call(`/api/v1/cases/x?token=${presented}`),
    await call(`/cases/x?token=${presented}`),
    await call("/webhooks/stara", {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...signWebhook([generateWebhookSecret()], body, "msg_forged") },
    }),
    await call("/admin/login", {
      method: "POST",
      body: new URLSearchParams({ token: presented }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    }),
  ];
  expect(
    statuses.every((s) => s >= 400 && s < 500),
    JSON.stringify(statuses),
  ).toBe(true);
  await call("/metrics");
}, 60_000);

afterAll(async () => {
  await silta?.stop();
  await database?.dispose();
  await new Promise((resolve) => hostile?.close(resolve));
});

function needles(): { name: string; value: string }[] {
  const list = Object.entries(secrets).flatMap(([name, value]) =>
    value.startsWith("whsec_")
      ? [
          { name, value },
          { name: `${name} (key part)`, value: value.slice(6) },
        ]
      : [{ name, value }],
  );
  return [...list, ...keys.map((value, i) => ({ name: `contractor key ${i}`, value })), { name: "presented", value: presented }];
}

function hits(haystack: string): string[] {
  return needles()
    .filter((needle) => haystack.includes(needle.value))
    .map((needle) => needle.name);
}

describe("secrets never leave (S8)", () => {
  it("the run really met the secrets: the hostile systems received and echoed them", () => {
    const all = echoed.join("\n");
    expect(all).toContain(secrets.staraToken);
    expect(all).toContain(secrets.open311Key);
    expect(logLines.length).toBeGreaterThan(10);
    expect(logLines.some((line) => line.includes('"job attempt"') || line.includes("job attempt"))).toBe(true);
  });

  it("no log line carries a secret", () => {
    const found = logLines.flatMap((line) => hits(line).map((name) => `${name}: ${line.slice(0, 300)}`));
    expect(found).toEqual([]);
  });

  it("no answer to a failed authentication (nor /metrics) carries a secret", () => {
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.flatMap((answer) => hits(answer).map((name) => `${name}: ${answer.slice(0, 300)}`))).toEqual([]);
  });

  it("no row of any table (ledger, audit, jobs and their errors, …) carries a secret", async () => {
    const tables = await database.rows<{ name: string }>(
      sql`select table_name as name from information_schema.tables where table_schema = 'public'`,
    );
    const found: string[] = [];
    for (const { name } of tables) {
      const text = JSON.stringify(await database.rows(sql`select * from ${sql.identifier(name)}`));
      for (const hit of hits(text)) found.push(`${name}: ${hit}`);
    }
    expect(found).toEqual([]);
    const [errors] = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from outbox_jobs where last_error is not null`,
    );
    expect(errors?.n).toBeGreaterThan(0);
  });
});
