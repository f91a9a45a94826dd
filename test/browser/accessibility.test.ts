import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateAlerts } from "../../src/domain/alerts/evaluate-alerts.ts";
import { LANGS } from "../../src/http/cases/case-labels.ts";
import { type RunningServer, startHttpServer } from "../../src/runtime/node-serve.ts";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture } from "../integration/http-admin-fixture.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { expectAccessible } from "./axe.ts";
import { launchChromium, openPage, runBrowserTests } from "./chromium.ts";

/**
 * Every console page passes axe-core (WCAG 2.0/2.1 A and AA) with 0 violations, during a target
 * outage (Stara is unreachable in this fixture, so the health banner is on every page); the
 * console's actions work from the keyboard alone; the accessibility statement exists in three
 * languages and every page links it. Screenshots of each page go to test-results/screenshots.
 */
let f: HttpFixture;
let server: RunningServer;
let browser: Browser;
let dead: { jobId: number; caseId: string };

/** Presses Tab until the focused element matches `selector` (at most `max` times): keyboard-only navigation. */
async function tabTo(page: Page, selector: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
      expect(outline, `focus on ${selector} is visible`).not.toBe("none");
      return;
    }
  }
  throw new Error(`${selector} was not reached with Tab in ${max} presses`);
}

/** Presses Enter and waits until the navigation it starts has landed on `url` and loaded. */
async function enterAndWait(page: Page, url: string | RegExp): Promise<void> {
  await page.keyboard.press("Enter");
  await expect.poll(() => page.url(), { timeout: 15_000 }).toMatch(url);
  await page.waitForLoadState("load");
}

async function logIn(page: Page): Promise<void> {
  await page.goto(`${server.url}/admin/login`);
  // The token field takes the focus by itself (autofocus); keys typed before that would be lost.
  await page.waitForFunction(() => document.activeElement?.id === "token");
  await page.keyboard.type(ADMIN_TOKEN);
  await enterAndWait(page, new RegExp(`^${server.url}/admin$`));
}

describe.runIf(runBrowserTests)("accessibility", () => {
  beforeAll(async () => {
    browser = await launchChromium();
    f = await createHttpFixture();
    server = await startHttpServer(f.app);
    await f.deliver(makeCase({ ...PLACES.east, address: "Mannerheimintie 1, Helsinki" }));
    dead = await f.deadLetterEast();
    // Parks are Stara's; Stara is unreachable here: these fail, wait for retries, and Stara shows as down.
    await f.deliver(...[1, 2, 3].map(() => makeCase({ ...PLACES.centre, serviceCode: "174" })));
    // Alerts for the page to list: Stara down, the dead letter.
    await evaluateAlerts(f.deps, { deadLetterThreshold: 0, maxNoticesPerHour: 10 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await f?.dispose();
  });

  it("every console page has 0 violations during a target outage, and links the statement", async () => {
    const page = await openPage(browser, { viewport: { width: 1366, height: 768 } });
    try {
      await page.goto(`${server.url}/admin/login`);
      await expectAccessible(page, "a11y-console-login");
      await logIn(page);
      const pages = {
        overview: "/admin",
        cases: "/admin/cases",
        "case-search": "/admin/cases?q=mannerheim",
        "case-timeline": `/admin/cases/${encodeURIComponent(dead.caseId)}`,
        charts: "/admin/charts?range=hour",
        targets: "/admin/targets",
        alerts: "/admin/alerts",
        failures: "/admin/failures",
        "failure-detail": `/admin/failures/${dead.jobId}`,
        quarantine: "/admin/quarantine",
        audit: "/admin/audit",
      };
      for (const [name, path] of Object.entries(pages)) {
        await page.goto(`${server.url}${path}`);
        expect(await page.locator('#target-health [data-target="stara"]').getAttribute("data-state"), path).toBe("down");
        expect(await page.locator('footer a[href="/accessibility?lang=en"]').count(), path).toBe(1);
        // The charts' tables are part of the page too.
        if (name === "charts") for (const summary of await page.locator("details summary").all()) await summary.click();
        if (name === "alerts") expect(await page.locator('#alerts tr[data-alert="target_down:stara"]').count()).toBe(1);
        await expectAccessible(page, `a11y-console-${name}`);
      }
      // The bulk replay's dry run, reached through its form.
      await page.goto(`${server.url}/admin/failures?state=dead`);
      await page.click('form[action="/admin/failures/replay"] button');
      await page.waitForURL(`${server.url}/admin/failures/replay`);
      await expectAccessible(page, "a11y-console-bulk-replay-dry-run");
      await page.goto(`${server.url}/api/admin/v1/docs`);
      await expectAccessible(page, "a11y-admin-api-docs");
      // Error pages are pages people meet too.
      expect((await page.goto(`${server.url}/admin/failures/2000000000`))?.status()).toBe(404);
      await expectAccessible(page, "a11y-console-not-found");
      expect((await page.goto(`${server.url}/admin/charts?range=year`))?.status()).toBe(400);
      await expectAccessible(page, "a11y-console-bad-request");
    } finally {
      await page.close();
    }
  });

  it("the statement exists in Finnish, Swedish and English, with no violations", async () => {
    const page = await openPage(browser);
    try {
      const titles = { fi: "Saavutettavuusseloste", sv: "Tillgänglighetsutlåtande", en: "Accessibility statement" };
      for (const lang of LANGS) {
        const response = await page.goto(`${server.url}/accessibility?lang=${lang}`);
        expect(response?.status()).toBe(200);
        expect(await page.getAttribute("html", "lang")).toBe(lang);
        expect(await page.locator("h1").innerText()).toBe(titles[lang]);
        expect(await page.locator("#gaps li").count()).toBeGreaterThan(0);
        expect(await page.locator("#conformance").innerText()).toMatch(/WCAG 2\.1/);
        await expectAccessible(page, `a11y-statement-${lang}`);
      }
    } finally {
      await page.close();
    }
  });

  it("an admin acknowledges and replays a dead letter with the keyboard alone", async () => {
    const page = await openPage(browser, { viewport: { width: 1366, height: 768 } });
    try {
      await logIn(page);
      await page.goto(`${server.url}/admin/failures?state=dead`);
      await tabTo(page, `a[href="/admin/failures/${dead.jobId}"]`);
      await enterAndWait(page, new RegExp(`/admin/failures/${dead.jobId}$`));

      await tabTo(page, 'input[name="note"]');
      await page.keyboard.type("Contractor east is fixing its mapping");
      await tabTo(page, 'form[action$="/acknowledge"] button');
      await enterAndWait(page, /done=acknowledged/);
      expect(await page.locator("#failure").innerText()).toContain("Contractor east is fixing its mapping");

      await tabTo(page, "button[value=replay]");
      await enterAndWait(page, /done=requeued/);
      expect(await page.locator("#job-state").innerText()).toBe("pending");
      await expectAccessible(page, "a11y-console-after-keyboard-replay");
    } finally {
      await page.close();
    }
  });
});
