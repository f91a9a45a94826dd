import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createAlarmWebhook } from "../../adapters/alarm-webhook/client.ts";
import { caseView } from "../../src/domain/admin/case-view.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { reconcileOpenLinks } from "../../src/domain/reconcile/reconcile.ts";
import { generateWebhookSecret, verifyWebhookSignature } from "../../src/lib/webhook-signature.ts";
import type { LateAnswerAlarm } from "../../src/ports/alarm-channel.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { DriftingTarget, WritableCaseSystem } from "./reconcile-fakes.ts";

/**
 * Late-answer alarms: with Helsinki's 7-day promise, work not finished 5 days after the report
 * raises a warning and after 7 a breach; each is raised once (one finding per level and work
 * order), posted once as a signed webhook to a real HTTP receiver on loopback, shown on the case
 * page, and a service may have terms of its own.
 */
let database: TestDatabase;
let caseSystem: WritableCaseSystem;
let deps: SiltaDeps;
const received: { body: { type: string; alarms: LateAnswerAlarm[] }; headers: IncomingMessage["headers"] }[] = [];
const secret = generateWebhookSecret();
let failNext = 0;
const receiver = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => {
    body += chunk;
  });
  request.on("end", () => {
    if (failNext > 0) {
      failNext--;
      response.writeHead(503).end();
      return;
    }
    verifyWebhookSignature([secret], request.headers as Record<string, string>, body);
    received.push({ body: JSON.parse(body), headers: request.headers });
    response.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alarms`;

beforeEach(async () => {
  await database?.dispose();
  database = await createTestDatabase();
  caseSystem = new WritableCaseSystem();
  received.length = 0;
  deps = {
    ...makeDeps(database, caseSystem, [
      new DriftingTarget("stara", { listing: true, firstCode: "UUSI" }),
      new DriftingTarget("contractor-east", { listing: false, firstCode: "SENT" }),
      new DriftingTarget("contractor-west", { listing: false, firstCode: "SENT" }),
    ]),
    alarms: createAlarmWebhook({ url, secrets: [secret], retryBaseMs: 10 }),
  };
});
afterAll(async () => {
  await database?.dispose();
  await new Promise((resolve) => receiver.close(resolve));
});

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

async function deliverReportedAt(...ages: number[]) {
  const records = ages.map((age) => makeCase({ ...PLACES.east, requestedAt: daysAgo(age) }));
  for (const record of records) caseSystem.cases.set(record.serviceRequestId, record);
  await ingestCases(deps, records);
  await drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
  return records;
}

const reconcile = () => reconcileOpenLinks(deps, { repair: false, writeBackGraceMs: 60_000 });

describe("late-answer alarms", () => {
  it("warns at 5 days and breaches at 7, each once, posted as a signed webhook", async () => {
    const [fresh, late, overdue] = await deliverReportedAt(1, 6, 8);
    const first = await reconcile();
    expect(first.alarms).toEqual({ raised: 2, sent: 2 });
    const kinds = first.current.map((f) => `${f.kind}:${f.caseId}`).sort();
    expect(kinds).toEqual([`sla_breach:${overdue?.serviceRequestId}`, `sla_warning:${late?.serviceRequestId}`].sort());
    expect(received).toHaveLength(1);
    expect(received[0]?.body.type).toBe("silta.late_answer");
    expect(received[0]?.body.alarms.map((a) => [a.level, a.caseId]).sort()).toEqual(
      [
        ["breach", overdue?.serviceRequestId],
        ["warning", late?.serviceRequestId],
      ].sort(),
    );
    // Ids and references only: nothing the citizen wrote.
    expect(JSON.stringify(received[0]?.body)).not.toContain(late?.description ?? "—");

    // The next run raises nothing new: each alarm goes out once.
    expect((await reconcile()).alarms).toEqual({ raised: 0, sent: 0 });
    expect(received).toHaveLength(1);
    const [ledger] = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from ledger_entries where operation = 'sla_breach' and outcome = 'warning'`,
    );
    expect(ledger?.n).toBe(1);

    // The handler's page says it too.
    const view = await caseView(database, deps.mappings, late?.serviceRequestId ?? "", new Date());
    expect(view?.workOrders[0]?.sla.state).toBe("due_soon");
    expect((await caseView(database, deps.mappings, fresh?.serviceRequestId ?? "", new Date()))?.workOrders[0]?.sla.state).toBe(
      "on_track",
    );
  });

  it("a receiver that fails at first gets the alarms on a retry; one that keeps failing leaves them in the console", async () => {
    failNext = 1;
    await deliverReportedAt(6);
    expect((await reconcile()).alarms).toEqual({ raised: 1, sent: 1 });
    expect(received).toHaveLength(1);

    failNext = 10;
    await deliverReportedAt(6.5);
    expect((await reconcile()).alarms).toEqual({ raised: 1, sent: 0 });
    failNext = 0;
    const [open] = await database.rows<{ n: number }>(
      sql`select count(*)::int as n from reconciliation_findings where kind = 'sla_warning' and state = 'open'`,
    );
    expect(open?.n).toBe(2);
  });

  it("a service's own terms apply where it has them", async () => {
    const east = deps.mappings.targets.get("contractor-east");
    if (!east) throw new Error("contractor-east");
    const mappings = { ...deps.mappings, targets: new Map(deps.mappings.targets) };
    mappings.targets.set("contractor-east", {
      ...east,
      sla: { ...east.sla, services: { "171": { completeDays: 2, warnDays: 1 } } },
    });
    deps = { ...deps, mappings };
    await deliverReportedAt(1.5, 3);
    const kinds = (await reconcile()).current.map((f) => f.kind).sort();
    expect(kinds).toEqual(["sla_breach", "sla_warning"]);
  });
});
