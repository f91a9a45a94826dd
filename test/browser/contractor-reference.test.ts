import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/sandbox.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { expectAccessible } from "./axe.ts";
import { launchChromium, openPage, runBrowserTests } from "./chromium.ts";

/**
 * The contractor API's reference page on the Node runtime, in a real browser: Scalar renders the
 * OpenAPI document (operations, schemas, the bearer key) from Silta's own copy of its script,
 * under a CSP that allows scripts from Silta alone; the changelog is one click away.
 */
let database: TestDatabase;
let sandbox: Sandbox;
let browser: Browser;

describe.runIf(runBrowserTests)("the contractor API reference", () => {
  beforeAll(async () => {
    browser = await launchChromium();
    database = await createTestDatabase();
    sandbox = await startSandbox({
      seed: 3,
      cases: 0,
      database,
      port: 0,
      mappingsDir: MAPPINGS_DIR,
      pollIntervalMs: 300,
      fieldDelayMs: { min: 10, max: 50 },
      cancelFraction: 0,
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    await database?.dispose();
  });

  it("renders every operation with its schemas from Silta's own script, and links the changelog", async () => {
    const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const blocked: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    try {
      const response = await page.goto(`${sandbox.silta.url}/api/contractor/v1/reference`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
      for (const summary of ["Read the work-order feed", "Read one work order", "Report an acknowledgement or a status change"]) {
        await page.getByText(summary).first().waitFor({ timeout: 20_000 });
      }
      expect(await page.locator("body").innerText()).toMatch(/Bearer/i);
      await expectAccessible(page, "contractor-api-reference");
      // Nothing came from anywhere but Silta.
      expect(requests.filter((url) => !url.startsWith(sandbox.silta.url) && !url.startsWith("data:"))).toEqual([]);
      expect(blocked).toEqual([]);
      await page.click('a[href="/api/contractor/v1/changelog"]');
      expect(await page.locator("h1").innerText()).toBe("Contractor API changelog");
      await expectAccessible(page, "contractor-api-changelog");
    } finally {
      await page.close();
    }
  });
});
