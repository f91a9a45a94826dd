import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";

/** Where browser tests leave screenshots for a reviewer to open (not committed; CI can keep it as an artefact). */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, "../../test-results/screenshots");

/** Saves a full-page PNG named `<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
