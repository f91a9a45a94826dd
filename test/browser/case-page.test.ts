import { existsSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { links } from "../../src/db/schema/index.ts";
import type { DeliveryPhase } from "../../src/domain/admin/case-view.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { LANGS } from "../../src/http/cases/case-labels.ts";
import { type RunningServer, startHttpServer } from "../../src/runtime/node-serve.ts";
import { createHttpFixture, HANDLER_TOKEN, type HttpFixture } from "../integration/http-admin-fixture.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { expectAccessible } from "./axe.ts";
import { launchChromium, openPage, runBrowserTests } from "./chromium.ts";
import { SCREENSHOT_DIR } from "./screenshots.ts";

/**
 * The handler's case page in a real browser, in Finnish, Swedish and English, for a case in each
 * delivery state: being sent, failing and retried, stopped for an admin, delivered (in progress),
 * withdrawn by the city, and handed back to be sent to another contractor. Each page is saved as
 * a screenshot under test-results/screenshots/ for a reviewer.
 */
let f: HttpFixture;
let server: RunningServer;
let browser: Browser;
const caseOf = new Map<DeliveryPhase, string>();

/** Raw codes a handler must never read in the page's text. */
const RAW_CODES =
  /\b(create_work_order|field_status|target_out|target_in|route_missing|target_unavailable|target_rejected|wrong_contractor|in_progress|not_applicable|stale|parked|rerouted)\b/;

async function contractorEvent(externalRef: string, status: string, key: string, id: string) {
  const response = await f.request(`/api/contractor/v1/work-orders/${encodeURIComponent(externalRef)}/events`, {
    method: "POST",
    token: key,
    headers: { "idempotency-key": id },
    body: JSON.stringify({ status, occurredAt: new Date().toISOString() }),
  });
  expect(response.status).toBe(202);
}

async function linkOf(caseId: string) {
  const [link] = await f.database.db.select().from(links).where(eq(links.caseId, caseId)).orderBy(links.id);
  if (!link) throw new Error(`no link for ${caseId}`);
  return link;
}

describe.runIf(runBrowserTests)("the handler's case page in the browser", () => {
  beforeAll(async () => {
    browser = await launchChromium();
    f = await createHttpFixture();
    server = await startHttpServer(f.app);

    // Delivered, and the crew has started.
    const delivered = makeCase({ ...PLACES.east });
    await f.deliver(delivered);
    await contractorEvent((await linkOf(delivered.serviceRequestId)).externalRef, "IN_PROGRESS", f.keys.east, "e-1");
    await f.settle();
    caseOf.set("delivered", delivered.serviceRequestId);

    // Stara's API is not reachable in this fixture: its first delivery fails and waits for a retry
    // (before any other case goes to Stara, so that its breaker is still closed).
    const parks = makeCase({ ...PLACES.centre, serviceCode: "174", serviceName: "Puistot" });
    await f.deliver(parks);
    caseOf.set("retrying", parks.serviceRequestId);

    // Stopped: the contractor refused it for good.
    caseOf.set("parked", (await f.deadLetterEast()).caseId);

    // Handed back as outside the contract: sent on to another contractor.
    const handedBack = makeCase({ ...PLACES.west });
    await f.deliver(handedBack);
    await contractorEvent((await linkOf(handedBack.serviceRequestId)).externalRef, "WRONG_CONTRACTOR", f.keys.west, "e-2");
    await f.settle();
    caseOf.set("rerouted", handedBack.serviceRequestId);

    // Withdrawn by the city before delivery.
    const withdrawn = makeCase({ ...PLACES.east });
    await ingestCases(f.deps, [withdrawn]);
    await ingestCases(f.deps, [{ ...withdrawn, deskStatus: "REJECTED", updatedAt: new Date().toISOString() }]);
    await f.settle();
    caseOf.set("cancelled", withdrawn.serviceRequestId);

    // Taken in, not yet sent (no work round has run for it).
    const fresh = makeCase({ ...PLACES.east });
    await ingestCases(f.deps, [fresh]);
    caseOf.set("sending", fresh.serviceRequestId);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await f?.dispose();
  });

  const phases: DeliveryPhase[] = ["sending", "retrying", "parked", "delivered", "cancelled", "rerouted"];
  for (const lang of LANGS) {
    it(`in ${lang}: every delivery state in plain words, with what happens next, and no raw codes`, async () => {
      const page = await openPage(browser, { viewport: { width: 1280, height: 800 } });
      try {
        for (const phase of phases) {
          const caseId = caseOf.get(phase) ?? "";
          await page.goto(`${server.url}/cases/${caseId}?lang=${lang}&token=${HANDLER_TOKEN}`);
          expect(await page.getAttribute("html", "lang")).toBe(lang);
          const row = page.locator(`#work-orders tr[data-phase="${phase}"]`).first();
          expect(await row.count(), `a ${phase} work order on the page`).toBe(1);
          const next = (await row.locator("td.next").innerText()).trim();
          expect(next.length).toBeGreaterThan(20);
          const text = await page.locator("body").innerText();
          expect(text).not.toMatch(RAW_CODES);
          expect(text).not.toContain("{");
          await expectAccessible(page, `case-page-${lang}-${phase}`);
          expect(existsSync(join(SCREENSHOT_DIR, `case-page-${lang}-${phase}.png`))).toBe(true);
        }
      } finally {
        await page.close();
      }
    });
  }

  it("holds in the case system's narrow frame at 200 % zoom: no sideways scrolling of the page, tables scroll in their own region", async () => {
    // 640 px at 200 % zoom is 320 CSS pixels: WCAG 1.4.10's reflow width.
    const page = await openPage(browser, { viewport: { width: 320, height: 640 }, deviceScaleFactor: 2 });
    try {
      for (const lang of LANGS) {
        await page.goto(`${server.url}/cases/${caseOf.get("retrying")}?lang=${lang}&token=${HANDLER_TOKEN}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `the ${lang} page scrolls sideways`).toBeLessThanOrEqual(0);
        // A wide table scrolls inside its own region, which the keyboard can reach.
        await page.keyboard.press("Tab");
        await page.keyboard.press("Tab");
        await page.keyboard.press("Tab");
        await page.keyboard.press("Tab");
        expect(await page.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("region");
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
        expect(outline, "focus is visible").not.toBe("none");
        await expectAccessible(page, `case-page-${lang}-narrow-200pct`);
      }
    } finally {
      await page.close();
    }
  });

  it("shows the field's photos with their review, and a second work cycle, in a page that passes axe", async () => {
    // A case whose crew finished, sent a photo of the work, and then the handler asked for rework.
    const record = makeCase({ ...PLACES.east });
    await f.deliver(record);
    const caseId = record.serviceRequestId;
    const link = await linkOf(caseId);
    await contractorEvent(link.externalRef, "COMPLETED", f.keys.east, "e-photo-1");
    await f.settle();
    const photo = await sharp({ create: { width: 120, height: 80, channels: 3, background: { r: 40, g: 120, b: 60 } } })
      .jpeg()
      .toBuffer();
    const uploaded = await f.request(`/api/contractor/v1/work-orders/${encodeURIComponent(link.externalRef)}/photos?kind=after`, {
      method: "POST",
      token: f.keys.east,
      headers: { "content-type": "image/jpeg" },
      body: new Uint8Array(photo),
    });
    expect(uploaded.status).toBe(201);
    const reopen = await f.request(`/cases/${caseId}/rework?lang=fi&token=${HANDLER_TOKEN}`, { method: "POST", token: null });
    expect(reopen.status).toBe(303);
    await f.settle();

    const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`${server.url}/cases/${caseId}?lang=fi&token=${HANDLER_TOKEN}`);
      const item = page.locator("ul.photos li").first();
      expect(await item.getAttribute("data-state")).toBe("pending");
      expect(await item.locator("img").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(120);
      expect(await page.locator("#work-orders").innerText()).toContain("Uusintakierros 2");
      await expectAccessible(page, "case-page-fi-photo-and-rework");
      // The handler approves it with the keyboard.
      await item.locator("button", { hasText: "Hyväksy julkaistavaksi" }).focus();
      await page.keyboard.press("Enter");
      await page.waitForURL(/notice=photo_approved/);
      expect(await page.locator("ul.photos li").first().getAttribute("data-state")).toBe("approved");
      await expectAccessible(page, "case-page-fi-photo-approved");
    } finally {
      await page.close();
    }
  });

  it("switches language from the page's own links and keeps the token", async () => {
    const page = await openPage(browser);
    try {
      await page.goto(`${server.url}/cases/${caseOf.get("delivered")}?token=${HANDLER_TOKEN}`);
      await page.click('nav a[lang="sv"]');
      expect(await page.getAttribute("html", "lang")).toBe("sv");
      expect(await page.locator("#work-orders").innerText()).toContain("Arbete pågår");
      await page.click('nav a[lang="en"]');
      expect(await page.locator("#work-orders").innerText()).toContain("In progress");
    } finally {
      await page.close();
    }
  });

  it("shows a page, not JSON, when the token is missing", async () => {
    const page = await openPage(browser);
    try {
      const response = await page.goto(`${server.url}/cases/${caseOf.get("delivered")}?lang=en`);
      expect(response?.status()).toBe(401);
      expect(await page.locator("#refusal").innerText()).toContain("handler token");
      await expectAccessible(page, "case-page-en-token-missing");
    } finally {
      await page.close();
    }
  });
});
