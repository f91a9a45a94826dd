import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { saveScreenshot } from "./screenshots.ts";

/** WCAG 2.0 and 2.1, levels A and AA: what the Act on the Provision of Digital Services requires. */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/**
 * Runs axe-core on the page as it is now, saves its screenshot as `<name>.png`, and fails with
 * every violation named (rule, impact, the first offending elements) when there is any.
 */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  await saveScreenshot(page, name);
  const problems = results.violations.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes
        .slice(0, 3)
        .map((n) => `${n.target.join(" ")}: ${(n.failureSummary ?? "").split("\n").slice(1, 2).join(" ").trim()}`)
        .join("\n    ")}`,
  );
  expect(problems, `${name}: axe-core violations at ${page.url()}`).toEqual([]);
  // axe ran its rules: a page it could not analyse would pass with no violations and no passes.
  expect(results.passes.length, `${name}: axe-core checked nothing`).toBeGreaterThan(5);
}
