import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startHttpServer } from "../../src/runtime/node-serve.ts";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture } from "../integration/http-admin-fixture.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { launchChromium, openPage, runBrowserTests } from "./chromium.ts";
import { saveScreenshot } from "./screenshots.ts";

/**
 * The console in a real browser: the case search, the delivery charts, and the health banner: while Stara is unreachable (this fixture's
 * Stara points at a closed port) its deliveries fail and wait for retries, and every signed-in
 * page says Stara is down; a healthy target gets no banner.
 */
let f: HttpFixture;
let server: RunningServer;
let browser: Browser;

async function logIn(page: Page): Promise<void> {
  await page.goto(`${server.url}/admin/login`);
  await page.fill("#token", ADMIN_TOKEN);
  await page.click("button[type=submit]");
  await page.waitForURL(`${server.url}/admin`);
}

describe.runIf(runBrowserTests)("the console's case search, charts and target health banner", () => {
  beforeAll(async () => {
    browser = await launchChromium();
    f = await createHttpFixture();
    server = await startHttpServer(f.app);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await f?.dispose();
  });

  it("shows no banner while every target is well", async () => {
    await f.deliver(makeCase({ ...PLACES.east }));
    const page = await openPage(browser);
    try {
      await logIn(page);
      expect(await page.locator("#target-health").count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it("finds a case by part of its address from the Cases page and opens its timeline", async () => {
    const record = makeCase({ ...PLACES.west, address: "Runebergintie 3, Helsinki" });
    await f.deliver(record);
    const page = await openPage(browser, { viewport: { width: 1280, height: 800 } });
    try {
      await logIn(page);
      await page.click('header a[href="/admin/cases"]');
      await page.fill('#case-search input[name="q"]', "runeberg");
      await page.click("#case-search button[type=submit]");
      await page.waitForURL(/q=runeberg/);
      const rows = page.locator("#cases tbody tr");
      expect(await rows.count()).toBe(1);
      expect(await rows.first().getAttribute("data-case")).toBe(record.serviceRequestId);
      await saveScreenshot(page, "console-case-search");
      await rows.first().locator("a").first().click();
      await page.waitForURL(`${server.url}/admin/cases/${record.serviceRequestId}`);
    } finally {
      await page.close();
    }
  });

  it("says on every page that Stara is down while its deliveries keep failing", async () => {
    // Parks are Stara's everywhere; each delivery fails (connection refused) and waits for a retry.
    await f.deliver(...[1, 2, 3].map(() => makeCase({ ...PLACES.centre, serviceCode: "174" })));
    const page = await openPage(browser, { viewport: { width: 1280, height: 800 } });
    try {
      await logIn(page);
      for (const path of ["/admin", "/admin/failures", "/admin/audit", "/admin/quarantine"]) {
        await page.goto(`${server.url}${path}`);
        const banner = page.locator('#target-health [data-target="stara"]');
        expect(await banner.getAttribute("data-state"), path).toBe("down");
        expect(await banner.innerText()).toMatch(/Stara.*: down — 3 of 3 waiting deliveries failing \(target_unavailable\)/s);
        expect(await page.locator('#target-health [data-target="contractor-east"]').count()).toBe(0);
      }
      await page.goto(`${server.url}/admin`);
      await saveScreenshot(page, "console-overview-stara-down");
      await page.click('#target-health a[href="/admin/failures?target=stara"]');
      await page.waitForURL(/\/admin\/failures\?target=stara/);
    } finally {
      await page.close();
    }
  });

  it("charts deliveries and failures per target over the last hour, as SVG drawn by the server", async () => {
    const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    try {
      await logIn(page);
      await page.click('header a[href="/admin/charts"]');
      await page.click('a[href="/admin/charts?range=hour"]');
      const failedHeight = async (target: string, kind: "delivered" | "failed") =>
        page
          .locator(`section.chart[data-target="${target}"] rect.${kind}`)
          .evaluateAll((rects) => rects.reduce((sum, r) => sum + Number(r.getAttribute("height")), 0));
      // Stara's failing attempts (the outage above) and contractor-east's deliveries show.
      expect(await failedHeight("stara", "failed")).toBeGreaterThan(0);
      expect(await failedHeight("stara", "delivered")).toBe(0);
      expect(await failedHeight("contractor-east", "delivered")).toBeGreaterThan(0);
      expect(await page.locator('section.chart[data-target="stara"] p.summary').innerText()).toMatch(/0 delivered, \d+ failed/);
      // Stara's deliveries still wait: the backlog-age line rises above its baseline at the end.
      const agePoints = await page.locator('section.chart[data-target="stara"] polyline.age').getAttribute("points");
      const ys = (agePoints ?? "").split(" ").map((p) => Number(p.split(",")[1]));
      expect(Math.min(...ys)).toBeLessThan(Math.max(...ys));
      expect(await page.locator('section.chart[data-target="stara"] p.summary').innerText()).toMatch(/now \d+ s/);
      // The same figures as a table, for screen readers and exact values: one row per minute.
      await page.locator('section.chart[data-target="stara"] details summary').click();
      expect(await page.locator('section.chart[data-target="stara"] table.figures tbody tr').count()).toBe(60);
      await saveScreenshot(page, "console-charts-hour");
      expect((await page.goto(`${server.url}/admin/charts?range=year`))?.status()).toBe(400);
    } finally {
      await page.close();
    }
  });

  it("an admin pauses a target with the keyboard only; every page says it is paused until it is resumed", async () => {
    const page = await openPage(browser, { viewport: { width: 1280, height: 800 } });
    try {
      await logIn(page);
      await page.goto(`${server.url}/admin/targets`);
      const row = page.locator('#targets tr[data-target="contractor-west"]');
      await row.locator('input[name="reason"]').focus();
      await page.keyboard.type("ERP upgrade, ask the duty desk");
      await page.keyboard.press("Tab");
      await page.keyboard.press("ArrowDown"); // 4 h
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/Pause/);
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/admin\/targets\?done=/);
      expect(await page.locator("[role=status]").innerText()).toMatch(/contractor-west is paused until/);
      for (const path of ["/admin", "/admin/cases", "/admin/charts"]) {
        await page.goto(`${server.url}${path}`);
        const banner = page.locator('#target-health [data-target="contractor-west"]');
        expect(await banner.getAttribute("data-state"), path).toBe("paused");
        expect(await banner.innerText()).toMatch(/⏸ .*: paused.*ERP upgrade, ask the duty desk/s);
      }
      await page.goto(`${server.url}/admin/targets`);
      expect(await row.getAttribute("data-state")).toBe("paused");
      await saveScreenshot(page, "console-targets-paused");
      await row.locator("button").focus();
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/admin\/targets\?done=/);
      expect(await row.getAttribute("data-state")).not.toBe("paused");
      expect(await page.locator('#target-health [data-target="contractor-west"]').count()).toBe(0);
    } finally {
      await page.close();
    }
  });
});
