import { existsSync } from "node:fs";
import { type Browser, type BrowserContextOptions, chromium, type Page } from "playwright-core";

/** Debian's headless Chromium (`apt-get install -y chromium-headless-shell`); never `playwright install`. */
export const CHROMIUM_PATH = "/usr/bin/chromium-headless-shell";

/** Flags that keep the shell off the network and quiet (see toolchain.md). */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const chromiumInstalled = existsSync(CHROMIUM_PATH);

/**
 * Whether browser tests run: always when Chromium is installed; in CI they run anyway and fail
 * (a missing browser must not pass silently there); elsewhere they skip with a loud message.
 */
export const runBrowserTests = chromiumInstalled || Boolean(process.env.CI);

if (!runBrowserTests) {
  console.warn(
    `\n*** BROWSER TESTS SKIPPED: ${CHROMIUM_PATH} is missing. Install it with: sudo apt-get install -y chromium-headless-shell ***\n`,
  );
}

/** Launches the headless shell; throws (failing the test) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!chromiumInstalled) {
    throw new Error(`${CHROMIUM_PATH} is not installed (CI must run: apt-get install -y chromium-headless-shell)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A page in a context of its own (options: viewport, scale): axe-core's runner opens a helper
 * page in the same context, which a page from `browser.newPage()` does not allow. The context
 * closes with the page.
 */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  // The browser may be closing already (afterAll): nothing is left to close then.
  page.on("close", () => void context.close().catch(() => {}));
  return page;
}
