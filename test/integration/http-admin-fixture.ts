import { readFileSync } from "node:fs";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import { links, outboxJobs } from "../../src/db/schema/index.ts";
import { issueContractorKey } from "../../src/domain/contractor-gateway.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { createApp } from "../../src/http/app.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import { generateWebhookSecret } from "../../src/lib/webhook-signature.ts";
import type { CaseRecord } from "../../src/ports/case-system.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

export const ADMIN_TOKEN = "admin-token-0123456789abcdefXYZ";
export const OTHER_ADMIN_TOKEN = "admin-token-second-0123456789abc";
export const HANDLER_TOKEN = "handler-token-0123456789abcdefXYZ";

/** How many migrations this build ships, as the Node runtime would tell /readyz. */
export function shippedMigrationCount(): number {
  const journal = JSON.parse(readFileSync(new URL("../../drizzle/meta/_journal.json", import.meta.url), "utf8")) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

export interface HttpFixture {
  database: TestDatabase;
  deps: SiltaDeps;
  app: OpenAPIHono;
  caseSystem: FakeCaseSystem;
  targets: { east: FakeWorkOrderSystem; west: FakeWorkOrderSystem };
  /** Stara's inbound webhook secrets (current, next: a rotation in progress). */
  staraSecrets: [string, string];
  keys: { east: string; west: string };
  /** Runs the worker until idle. */
  settle(): Promise<void>;
  /** Ingests cases and delivers them. */
  deliver(...records: CaseRecord[]): Promise<void>;
  /** A case for contractor-east that ended as a dead letter (permanent rejection); returns its job id and case id. */
  deadLetterEast(): Promise<{ jobId: number; caseId: string; externalRef: string }>;
  request(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** Logs into the console with an admin token; returns the session cookie (`name=value`). */
  consoleLogin(token?: string): Promise<string>;
  dispose(): Promise<void>;
}

/**
 * Silta's whole HTTP app over a fresh test database, with fake contractor systems (east, west),
 * Stara's real adapter (for webhook verification) and admin and handler tokens configured.
 */
export async function createHttpFixture(): Promise<HttpFixture> {
  const database = await createTestDatabase();
  const caseSystem = new FakeCaseSystem();
  const targets = { east: new FakeWorkOrderSystem("contractor-east"), west: new FakeWorkOrderSystem("contractor-west") };
  const staraSecrets: [string, string] = [generateWebhookSecret(), generateWebhookSecret()];
  const stara = createStaraWorkOrderSystem({
    targetId: "stara",
    baseUrl: "http://127.0.0.1:9",
    token: "t",
    webhookSecrets: staraSecrets,
    timeoutMs: 200,
  });
  const deps = makeDeps(database, caseSystem, [targets.east, targets.west, stara]);
  const app = createApp(deps, {
    adminTokens: [ADMIN_TOKEN, OTHER_ADMIN_TOKEN],
    handlerTokens: [HANDLER_TOKEN],
    expectedMigrations: shippedMigrationCount(),
  });
  const keys = {
    east: await issueContractorKey(database, "contractor-east", "test"),
    west: await issueContractorKey(database, "contractor-west", "test"),
  };
  const settle = async () => {
    await drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
  };
  const fixture: HttpFixture = {
    database,
    deps,
    app,
    caseSystem,
    targets,
    staraSecrets,
    keys,
    settle,
    async deliver(...records) {
      await ingestCases(deps, records);
      await settle();
    },
    async deadLetterEast() {
      const record = makeCase({ ...PLACES.east });
      // Whatever an earlier test left queued runs first, so the failure below meets this case's create.
      await settle();
      targets.east.failures.push({
        error: new SiltaError("target_rejected", "contractor refused the order: field too long", { httpStatus: 422 }),
      });
      await fixture.deliver(record);
      const [link] = await database.db.select().from(links).where(eq(links.caseId, record.serviceRequestId));
      const [job] = await database.db
        .select()
        .from(outboxJobs)
        .where(eq(outboxJobs.linkId, link?.id ?? -1));
      if (!link || !job || job.state !== "dead") throw new Error(`fixture: expected a dead letter, got ${job?.state}`);
      return { jobId: job.id, caseId: record.serviceRequestId, externalRef: link.externalRef };
    },
    request(path, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      if (rest.body && !headers.has("content-type")) headers.set("content-type", "application/json");
      return Promise.resolve(app.request(path, { ...rest, headers }));
    },
    async consoleLogin(token = ADMIN_TOKEN) {
      const login = await fixture.request("/admin/login", {
        method: "POST",
        body: new URLSearchParams({ token }),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      if (login.status !== 303) throw new Error(`fixture: console login answered ${login.status}`);
      return (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    },
    dispose: () => database.dispose(),
  };
  return fixture;
}
