import { and, eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { links, outboxJobs } from "../../src/db/schema/index.ts";
import { createApp } from "../../src/http/app.ts";
import { type RunningServer, startHttpServer } from "../../src/runtime/node-serve.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { launchChromium, openPage, runBrowserTests } from "./chromium.ts";

/**
 * The console and the handler's page in a real browser, over the whole system on loopback: the
 * sandbox's simulators and Silta on the test database, with the console served by the same app
 * (configured with the sandbox's admin token and a handler token).
 */
const HANDLER_TOKEN = "browser-handler-token-0123456789";

let database: TestDatabase;
let sandbox: Sandbox;
let server: RunningServer;
let browser: Browser;

/** Waits for a condition on the system (not for a duration); fails with `what` after the bound. */
async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.runIf(runBrowserTests)("in the browser", () => {
  beforeAll(async () => {
    browser = await launchChromium();
    database = await createTestDatabase();
    sandbox = await startSandbox({
      seed: 5,
      cases: 0,
      database,
      port: 0,
      mappingsDir: MAPPINGS_DIR,
      pollIntervalMs: 300,
      fieldDelayMs: { min: 10, max: 50 },
      cancelFraction: 0,
    });
    server = await startHttpServer(
      createApp(sandbox.silta.deps, { adminTokens: [sandbox.adminToken], handlerTokens: [HANDLER_TOKEN] }),
    );
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await sandbox?.stop();
    await database?.dispose();
  });

  async function logIn(page: Page): Promise<void> {
    await page.goto(`${server.url}/admin`);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    await page.fill("#token", sandbox.adminToken);
    await page.click("button[type=submit]");
    await page.waitForURL(`${server.url}/admin`);
  }

  it("an admin finds a failed delivery, replays it and sees it succeed", async () => {
    // Stara is down for longer than the retry horizon: the sandbox's horizon is shortened to stand for that.
    sandbox.stara.sim.setKnobs({ outage: true });
    sandbox.silta.deps.settings.retry.horizonMs = 300;
    sandbox.addCases(12);
    await sandbox.poll();
    const dead = await until("a dead Stara delivery", async () => {
      const [job] = await sandbox.database.db
        .select()
        .from(outboxJobs)
        .where(and(eq(outboxJobs.target, "stara"), eq(outboxJobs.kind, "create_work_order"), eq(outboxJobs.state, "dead")))
        .limit(1);
      return job;
    });
    sandbox.stara.sim.setKnobs({ outage: false });

    const page = await openPage(browser);
    await logIn(page);
    await expect.poll(() => page.textContent("#dead-letters")).toContain("stara");
    await page.click("#dead-letters a");
    await page.waitForURL(/\/admin\/failures\?state=dead&target=stara/);
    await page.click(`tr[data-job="${dead.id}"] a[href="/admin/failures/${dead.id}"]`);
    await page.waitForURL(`${server.url}/admin/failures/${dead.id}`);
    expect(await page.textContent("#job-state")).toBe("dead");
    expect(await page.textContent("#reason")).toMatch(/503|unavailable|down/i);
    const payload = JSON.parse((await page.textContent("#payload")) ?? "{}") as { externalRef?: string };
    expect(payload.externalRef).toBe(`helsinki:${dead.caseId}:stara`);

    await page.click("button[value=replay]");
    await page.waitForURL(/done=requeued/);
    // Stara's breaker opened during the outage: the replay goes out with its half-open probe,
    // up to the breaker's open interval (30 s) later.
    await until(
      "the replayed delivery to finish",
      async () => {
        const [job] = await sandbox.database.db.select().from(outboxJobs).where(eq(outboxJobs.id, dead.id));
        return job?.state === "done";
      },
      45_000,
    );
    await page.reload();
    expect(await page.textContent("#job-state")).toBe("done");
    const [link] = await sandbox.database.db.select().from(links).where(eq(links.id, dead.linkId));
    expect(link?.state).toBe("forwarded");
    expect(sandbox.stara.sim.store.findByExternalRef(link?.externalRef ?? "")).toHaveLength(1);

    // The case timeline shows the park, the replay and the successful create.
    await page.goto(`${server.url}/admin/cases/${encodeURIComponent(dead.caseId)}`);
    const timeline = (await page.textContent("#timeline")) ?? "";
    expect(timeline).toContain("parked");
    expect(timeline).toContain("requeued");
    expect(timeline).toMatch(/create_work_order\s*stara\s*ok/);
    await page.close();
  }, 90_000);

  it("a handler's case page updates itself after a field status change", async () => {
    const contractor = sandbox.contractors.get("contractor-east");
    const key = sandbox.contractorKeys.get("contractor-east");
    if (!contractor || !key) throw new Error("sandbox without contractor-east");
    contractor.sim.knobs.autoProgress = false;
    sandbox.addCases(8);
    await sandbox.poll();
    const link = await until("a work order delivered to contractor-east", async () => {
      const [row] = await sandbox.database.db
        .select()
        .from(links)
        .where(and(eq(links.target, "contractor-east"), eq(links.state, "forwarded"), eq(links.fieldStatus, "sent")))
        .limit(1);
      return row;
    });

    const page = await openPage(browser);
    await page.goto(`${server.url}/cases/${encodeURIComponent(link.caseId)}?lang=en&token=${HANDLER_TOKEN}`);
    expect(await page.getAttribute('tr[data-target="contractor-east"] td.status', "data-status")).toBe("sent");
    expect(await page.textContent('tr[data-target="contractor-east"] td.status')).toContain("Sent");

    const response = await fetch(
      `${sandbox.silta.url}/api/contractor/v1/work-orders/${encodeURIComponent(link.externalRef)}/events`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "idempotency-key": `browser-${link.id}` },
        body: JSON.stringify({ status: "IN_PROGRESS", occurredAt: new Date().toISOString() }),
      },
    );
    expect(response.status).toBe(202);
    await page.waitForSelector('tr[data-target="contractor-east"] td.status[data-status="in_progress"]', { timeout: 20_000 });
    expect(await page.textContent('tr[data-target="contractor-east"] td.status')).toContain("In progress");
    expect(await page.textContent("#timeline")).toContain("Field status");
    await page.close();
  });
});
