import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmailAlertChannel } from "../../adapters/alerts/email.ts";
import { createWebhookAlertChannel } from "../../adapters/alerts/webhook.ts";
import { alerts, auditEvents } from "../../src/db/schema/index.ts";
import { evaluateAlerts } from "../../src/domain/alerts/evaluate-alerts.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { pauseTarget, resumeTarget } from "../../src/domain/target-pauses.ts";
import { generateWebhookSecret, verifyWebhookSignature } from "../../src/lib/webhook-signature.ts";
import { startLoopbackSmtp } from "../../src/sandbox/loopback-smtp.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { createHttpFixture, type HttpFixture } from "./http-admin-fixture.ts";

/**
 * Alerts that reach people: a real SMTP server on loopback (smtp-server) and a real HTTP
 * receiver take every alert once when raised and once when recovered; re-evaluating sends
 * nothing new; the hourly budget holds; the console lists them with acknowledge.
 */
let f: HttpFixture;
let deps: SiltaDeps;
let smtp: Awaited<ReturnType<typeof startLoopbackSmtp>>;
/** The mail the SMTP server took: subject, body and recipients. */
const mails = {
  get all() {
    return smtp.mails.map((m) => ({
      subject: m.subject,
      text: m.raw
        .split(/\r?\n\r?\n/)
        .slice(1)
        .join("\n\n"),
      to: m.to,
    }));
  },
};
const hooks: { type: string; alerts: { event: string; key: string }[] }[] = [];
const secret = generateWebhookSecret();

const receiver = createServer((request: IncomingMessage, response) => {
  let body = "";
  request.on("data", (chunk) => {
    body += chunk;
  });
  request.on("end", () => {
    verifyWebhookSignature([secret], request.headers as Record<string, string>, body);
    hooks.push(JSON.parse(body));
    response.writeHead(204).end();
  });
});

beforeAll(async () => {
  smtp = await startLoopbackSmtp();
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  f = await createHttpFixture();
  const hookPort = (receiver.address() as AddressInfo).port;
  deps = {
    ...f.deps,
    alertChannels: [
      createEmailAlertChannel({ smtpUrl: smtp.url, from: "silta@hel.fi", to: ["ops@hel.fi"] }),
      createWebhookAlertChannel({ url: `http://127.0.0.1:${hookPort}/alerts`, secrets: [secret], retryBaseMs: 10 }),
    ],
  };
});
afterAll(async () => {
  await f?.dispose();
  await smtp?.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const settings = { deadLetterThreshold: 0, maxNoticesPerHour: 30 };

describe("alerts", () => {
  it("a target down is raised once to e-mail and webhook, stays quiet while it lasts, and sends its recovery", async () => {
    // Stara is unreachable in this fixture: parks are Stara's, and three failing deliveries make it down.
    await f.deliver(...[1, 2, 3].map(() => makeCase({ ...PLACES.centre, serviceCode: "174" })));
    const first = await evaluateAlerts(deps, settings);
    expect(first.raised).toBeGreaterThanOrEqual(1);
    expect(mails.all).toHaveLength(1);
    expect(mails.all[0]?.subject).toMatch(/^\[Silta critical\] Stara.* is down/);
    expect(mails.all[0]?.text).toContain("RAISED (critical)");
    expect(mails.all[0]?.text).toContain("target_down:stara");
    expect(mails.all[0]?.to).toBe("ops@hel.fi");
    expect(hooks[0]?.alerts.map((a) => `${a.event}:${a.key}`)).toContain("raised:target_down:stara");

    expect(await evaluateAlerts(deps, settings)).toMatchObject({ raised: 0, recovered: 0, notified: 0 });
    expect(mails.all).toHaveLength(1);

    // Stara's deliveries are dropped (as if it came back and took them): the condition is gone.
    await f.database.rows(sql`update outbox_jobs set state = 'done', finished_at = now() where target = 'stara'`);
    const recovery = await evaluateAlerts(deps, settings);
    expect(recovery.recovered).toBe(1);
    expect(mails.all.at(-1)?.subject).toMatch(/^\[Silta recovered\] target_down:stara/);
    expect(hooks.at(-1)?.alerts).toEqual([expect.objectContaining({ event: "recovered", key: "target_down:stara" })]);
    const [row] = await f.database.db.select().from(alerts).where(eq(alerts.key, "target_down:stara"));
    expect(row).toMatchObject({ state: "recovered" });
  });

  it("a pause is an alert too; the hourly budget holds the rest until it frees", async () => {
    const before = mails.all.length;
    await pauseTarget(deps, "admin:test", "contractor-west", { reason: "contract change", until: null });
    const held = await evaluateAlerts(deps, { deadLetterThreshold: 1000, maxNoticesPerHour: 1 });
    expect(held.raised).toBe(1);
    expect(held.notified).toBe(0);
    expect(mails.all.length).toBe(before);
    const sent = await evaluateAlerts(deps, { deadLetterThreshold: 1000, maxNoticesPerHour: 30 });
    expect(sent.notified).toBe(1);
    // The target's name is not ASCII here, so the subject is MIME-encoded: the body says it plainly.
    expect(mails.all.at(-1)?.text).toContain("RAISED (info)");
    expect(mails.all.at(-1)?.text).toContain("target_paused:contractor-west");
    await resumeTarget(deps, "admin:test", "contractor-west");
  });

  it("dead letters over the threshold, open findings, late answers and a stalled intake are alerts, each recovering", async () => {
    await f.deadLetterEast();
    await f.database.rows(sql`insert into reconciliation_findings (kind, subject, suggested_action) values
      ('missing_in_target', 'helsinki:x:stara', 'look'), ('sla_breach', 'helsinki:y:stara', 'escalate')`);
    const watched = {
      deadLetterThreshold: 0,
      maxNoticesPerHour: 100,
      intake: { staleMs: 1, since: new Date(Date.now() - 60_000) },
    };
    await evaluateAlerts(deps, watched);
    const keys = (await f.database.db.select().from(alerts).where(eq(alerts.state, "open"))).map((a) => a.key);
    expect(keys).toEqual(expect.arrayContaining(["dead_letters", "reconciliation_findings", "late_answers", "intake_stalled"]));
    const sentKeys = hooks.flatMap((h) => h.alerts.filter((a) => a.event === "raised").map((a) => a.key));
    for (const key of ["dead_letters", "reconciliation_findings", "late_answers", "intake_stalled"])
      expect(sentKeys).toContain(key);

    await f.database.rows(sql`update reconciliation_findings set state = 'resolved'`);
    await f.database.rows(sql`update outbox_jobs set acknowledged_by = 'admin:test' where state = 'dead'`);
    await evaluateAlerts(deps, { ...watched, intake: { staleMs: 3_600_000, since: new Date() } });
    const recovered = hooks.flatMap((h) => h.alerts.filter((a) => a.event === "recovered").map((a) => a.key));
    for (const key of ["dead_letters", "reconciliation_findings", "late_answers", "intake_stalled"])
      expect(recovered).toContain(key);
  });

  it("the console lists alerts and acknowledges an open one, audited", async () => {
    await pauseTarget(deps, "admin:test", "contractor-east", { reason: "ERP upgrade", until: null });
    await evaluateAlerts(deps, { deadLetterThreshold: 1000, maxNoticesPerHour: 30 });
    const cookie = await f.consoleLogin();
    const page = await (await f.request("/admin/alerts", { headers: { cookie } })).text();
    expect(page).toMatch(/data-alert="target_paused:contractor-east" data-state="open"/);
    const [open] = await f.database.db.select().from(alerts).where(eq(alerts.key, "target_paused:contractor-east"));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
    const ack = await f.request(`/admin/alerts/${open?.id}/acknowledge`, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(ack.status).toBe(303);
    const [after] = await f.database.db
      .select()
      .from(alerts)
      .where(eq(alerts.id, open?.id ?? 0));
    expect(after?.acknowledgedBy).toMatch(/^admin:/);
    expect((await f.database.db.select().from(auditEvents).where(eq(auditEvents.action, "alert.acknowledge"))).length).toBe(1);
  });
});
