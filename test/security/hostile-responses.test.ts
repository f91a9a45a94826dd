import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyStaraWebhook } from "../../adapters/stara/events.ts";
import {
  HOSTILE_MARKUP,
  HOSTILE_STATUS,
  hostileExtraFields,
  hostileNote,
  OVERLONG_LENGTH,
} from "../../adapters/stara/simulator/hostile.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import { generateWebhookSecret, signWebhook } from "../../src/lib/webhook-signature.ts";
import { describeUnsettled } from "../../src/sandbox/progress.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { runUntilSettled } from "../../src/sandbox/settle.ts";
import { summarizeSandbox } from "../../src/sandbox/summary.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { rawMarkupProblems, securityHeaderProblems } from "./support/html.ts";
import { consoleLogin, politeFetch, tableOutputs } from "./support/outputs.ts";

/**
 * Hostile responses (issue 7): Stara and both contractors answer with unknown fields, markup in
 * notes, references and status texts, notes ten times too long and now and then broken JSON.
 * Silta must validate and cap what it keeps, drop what it does not know, and show everything it
 * shows escaped, on pages that carry a CSP and the usual security headers.
 */
let sandbox: Sandbox;
let database: TestDatabase;
let settled = false;
/** What was still moving when settling ended, for the failure message. */
let progressAtSettle = "";
const OVERLONG_STATUS = `${HOSTILE_STATUS}${"X".repeat(OVERLONG_LENGTH)}`;
const CONTRACTOR_STATUS = HOSTILE_MARKUP[1];

interface Page {
  path: string;
  status: number;
  headers: Headers;
  html: string;
}
const pages: Page[] = [];

async function malformedAnswers(simulatorUrl: string): Promise<number> {
  const response = await fetch(`${simulatorUrl}/__sim/faults`);
  return ((await response.json()) as { malformed: number }).malformed;
}

async function contractorWebhook(target: string, workOrderId: string): Promise<number> {
  const contractor = sandbox.contractors.get(target);
  if (!contractor) throw new Error(`no simulator for ${target}`);
  const body = JSON.stringify({
    ...hostileExtraFields(1),
    events: [
      {
        ...hostileExtraFields(2),
        eventId: `hostile-${target}`,
        workOrderId,
        status: CONTRACTOR_STATUS,
        occurredAt: new Date().toISOString(),
        note: hostileNote(3),
      },
    ],
  });
  const response = await fetch(`${sandbox.silta.url}/webhooks/${target}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...signWebhook([...contractor.sim.webhookSecrets], body, `hostile-${target}`),
    },
    body,
  });
  await response.body?.cancel();
  return response.status;
}

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = await startSandbox({
    seed: 41,
    cases: 24,
    database,
    port: 0,
    mappingsDir: MAPPINGS_DIR,
    pollIntervalMs: 300,
    fieldDelayMs: { min: 10, max: 60 },
    cancelFraction: 0,
  });
  // Hostile throughout; the first two answers of each system are broken JSON as well. (Only a
  // few: more failures would open the breakers and spend the retry budgets, holding the rest.)
  sandbox.stara.sim.setKnobs({ hostile: true, malformedNext: 2 });
  for (const contractor of sandbox.contractors.values()) {
    contractor.sim.knobs.hostile = true;
    contractor.sim.knobs.malformedNext = 2;
  }
  const settleStarted = Date.now();
  settled = await runUntilSettled(sandbox, { timeoutMs: 60_000, pollIntervalMs: 300 });
  progressAtSettle = JSON.stringify({
    waited: Date.now() - settleStarted,
    progress: await sandbox.progress(),
    unsettled: await describeUnsettled(sandbox.database),
    jobs: await sandbox.database.rows(
      sql`select target, kind, state, attempts, last_error_code, last_error, run_at from outbox_jobs where state not in ('done', 'skipped')`,
    ),
  });

  // Status texts that are markup, one of them far too long: they must end up quarantined, capped, escaped.
  const staraLinks = await sandbox.database.rows<{ work_order_id: string }>(
    sql`select work_order_id from links where target = 'stara' and work_order_id is not null order by id limit 2`,
  );
  const [first, second] = staraLinks;
  if (first) sandbox.stara.sim.reportRawStatus(first.work_order_id, HOSTILE_STATUS, hostileNote(1, OVERLONG_LENGTH));
  if (second) sandbox.stara.sim.reportRawStatus(second.work_order_id, OVERLONG_STATUS, null);
  const [west] = await sandbox.database.rows<{ external_ref: string }>(
    sql`select external_ref from links where target = 'contractor-west' order by id limit 1`,
  );
  if (west) await contractorWebhook("contractor-west", west.external_ref);
  await runUntilSettled(sandbox, { timeoutMs: 20_000, pollIntervalMs: 300 });

  // Every page a person might open, as they would open it.
  const base = sandbox.silta.url;
  const cookie = await consoleLogin(base, sandbox.adminToken);
  const paths = ["/admin", "/admin/failures", "/admin/quarantine", "/admin/audit"];
  const caseIds = (await sandbox.database.rows<{ id: string }>(sql`select id from cases order by id`)).map((r) => r.id);
  for (const id of caseIds) paths.push(`/admin/cases/${encodeURIComponent(id)}`, `/cases/${encodeURIComponent(id)}`);
  const jobs = await sandbox.database.rows<{ id: number }>(sql`select id from outbox_jobs where last_error is not null`);
  for (const job of jobs) paths.push(`/admin/failures/${job.id}`);
  paths.push("/api/admin/v1/docs", "/api/contractor/v1/docs");
  for (const path of paths) {
    const headers: Record<string, string> = path.startsWith("/admin")
      ? { cookie }
      : { authorization: `Bearer ${sandbox.adminToken}` };
    const response = await politeFetch(`${base}${path}`, { headers });
    pages.push({ path, status: response.status, headers: response.headers, html: await response.text() });
  }
}, 180_000);

afterAll(async () => {
  await sandbox?.stop();
  await database?.dispose();
});

describe("hostile answers from Stara and contractors", () => {
  it("the run still settles with nothing lost or duplicated, though answers were broken JSON", async () => {
    expect(settled, progressAtSettle).toBe(true);
    const summary = await summarizeSandbox(sandbox, { seed: 41, settled, seconds: 0 });
    expect(summary).toMatchObject({ lost: 0, duplicateWorkOrders: 0, ledgerBalanced: true });
    expect(sandbox.stara.sim.state().requests.malformed).toBe(2);
    for (const contractor of sandbox.contractors.values()) expect(await malformedAnswers(contractor.url)).toBe(2);
  });

  it("hostile notes, references and status texts reached Silta (the checks below are not vacuous)", async () => {
    const [row] = await sandbox.database.rows<{ notes: number; refs: number; codes: number; clipped: number }>(sql`select
      (select count(*)::int from inbox_events where note like '%<script>%') as notes,
      (select count(*)::int from links where work_order_id like '%<img%') as refs,
      (select count(*)::int from inbox_events where state = 'quarantined' and (status_code like '<script>%' or status_code like '%<img%')) as codes,
      (select count(*)::int from inbox_events where length(note) = 2000) as clipped`);
    expect(row).toMatchObject({ codes: 3 });
    for (const key of ["notes", "refs", "clipped"] as const) expect(row?.[key], key).toBeGreaterThan(0);
  });

  it("stored values are capped: notes ≤ 2,000, status codes ≤ 100, references ≤ 200 characters", async () => {
    const [row] = await sandbox.database.rows<Record<string, number>>(sql`select
      (select coalesce(max(length(note)), 0)::int from inbox_events) as note,
      (select coalesce(max(length(status_code)), 0)::int from inbox_events) as status_code,
      (select coalesce(max(length(field_status_code)), 0)::int from links) as field_status_code,
      (select coalesce(max(length(work_order_id)), 0)::int from links) as work_order_id,
      (select coalesce(max(length(work_order_id)), 0)::int from inbox_events) as event_work_order_id`);
    expect(row?.note).toBeLessThanOrEqual(2000);
    expect(row?.status_code).toBeLessThanOrEqual(100);
    expect(row?.field_status_code).toBeLessThanOrEqual(100);
    expect(row?.work_order_id).toBeLessThanOrEqual(200);
    expect(row?.event_work_order_id).toBeLessThanOrEqual(200);
  });

  it("unknown fields are dropped: none of them is in any table", async () => {
    const markers = ["ylimaarainen_kentta", "html_body", "isAdmin", "deepest"];
    const found = (await tableOutputs(sandbox)).flatMap((o) =>
      markers.filter((m) => o.text.includes(m)).map((m) => `${o.place}: ${m}`),
    );
    expect(found).toEqual([]);
  });

  it("every page shows hostile values only escaped", () => {
    expect(pages.length).toBeGreaterThan(20);
    const problems = pages.flatMap((p) => rawMarkupProblems(p.html).map((problem) => `${p.path}: ${problem}`));
    expect(problems, problems.join("\n")).toEqual([]);
    const quarantine = pages.find((p) => p.path === "/admin/quarantine")?.html ?? "";
    expect(quarantine).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(quarantine).toContain("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    // A contractor's hostile reference is on the handler page, escaped.
    const handler = pages.filter((p) => p.path.startsWith("/cases/")).map((p) => p.html);
    expect(handler.some((html) => html.includes("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))).toBe(true);
  });

  it("every page answers 200 and carries CSP, nosniff, a referrer policy and a framing rule", () => {
    const problems = pages.flatMap((p) => [
      ...(p.status === 200 ? [] : [`answered ${p.status}`]),
      ...securityHeaderProblems(p.headers).map((problem) => `${p.path}: ${problem}`),
    ]);
    expect(problems, problems.join("\n")).toEqual([]);
  });
});

describe("Stara's webhook parser, directly", () => {
  const secret = generateWebhookSecret();
  const event = (overrides: Record<string, unknown>) => ({
    tapahtuma_id: "e-1",
    tunnus: "ST-2026-000001",
    ulkoinen_viite: "helsinki:x:stara",
    tila: "TYÖN_ALLA",
    aikaleima: new Date().toISOString(),
    ...overrides,
  });
  const parse = (events: Record<string, unknown>[]) => {
    const body = JSON.stringify({ tapahtumat: events, ...hostileExtraFields(9) });
    return verifyStaraWebhook([secret], signWebhook([secret], body, "msg_direct"), body);
  };

  it("cuts overlong notes and status texts, and keeps no unknown field", () => {
    const [parsed] = parse([
      event({ huomautus: hostileNote(1, OVERLONG_LENGTH), tila: OVERLONG_STATUS, ...hostileExtraFields(1) }),
    ]);
    expect(parsed?.note?.length).toBe(2000);
    expect(parsed?.statusCode.length).toBe(100);
    expect(Object.keys(parsed ?? {}).sort()).toEqual([
      "eventId",
      "externalRef",
      "note",
      "occurredAt",
      "statusCode",
      "workOrderId",
    ]);
  });

  it("refuses ids over 200 characters as a malformed webhook", () => {
    for (const field of ["tapahtuma_id", "tunnus", "ulkoinen_viite"]) {
      expect(() => parse([event({ [field]: "x".repeat(201) })]), field).toThrow(SiltaError);
    }
  });
});
