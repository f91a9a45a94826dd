import { describe, expect, it } from "vitest";
import { CODE_TABLES, LANGS, labelsFor, parseLang } from "../../src/http/cases/case-labels.ts";

/**
 * The handler's page speaks Finnish, Swedish and English: each table has the same keys in every
 * language and no empty text (the compiler already checks that every status, error code,
 * ledger operation, outcome and exclusion reason has one).
 */
describe("case page texts", () => {
  for (const [name, table] of Object.entries(CODE_TABLES)) {
    it(`${name}: every language has the same keys, none empty`, () => {
      const keys = (lang: (typeof LANGS)[number]) => Object.keys(table[lang]).sort();
      for (const lang of LANGS) {
        expect(keys(lang)).toEqual(keys("fi"));
        for (const value of Object.values(table[lang] as Record<string, unknown>)) {
          const texts = typeof value === "string" ? [value] : Object.values(value as Record<string, string>);
          for (const text of texts) expect(text.trim().length).toBeGreaterThan(0);
        }
      }
    });
  }

  it("fills a phase's next step and falls back to Finnish for an unknown language", () => {
    expect(parseLang("sv")).toBe("sv");
    expect(parseLang("de")).toBe("fi");
    const phase = labelsFor("en").phase("retrying", { problem: labelsFor("en").error("target_unavailable"), at: "12:30" });
    expect(phase.next).toBe(
      "Reason: the contractor's system did not answer. Silta tries again by itself (12:30); the admins are alerted if it keeps failing.",
    );
  });
});
