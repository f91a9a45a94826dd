import { describe, expect, it } from "vitest";
import { helsinkiTime } from "../../src/http/console/layout.ts";

/** The console shows times as Helsinki reads them, with the offset, and keeps the instant. */
describe("console times", () => {
  it("shows winter and summer time with their offsets", () => {
    expect(String(helsinkiTime("2026-12-06T20:33:05.000Z"))).toBe(
      '<time datetime="2026-12-06T20:33:05.000Z">2026-12-06 22:33:05 +02:00</time>',
    );
    expect(String(helsinkiTime(new Date("2026-06-30T21:30:00Z")))).toBe(
      '<time datetime="2026-06-30T21:30:00.000Z">2026-07-01 00:30:00 +03:00</time>',
    );
  });

  it("says – for no time and shows an unreadable value as it is", () => {
    expect(helsinkiTime(null)).toBe("–");
    expect(helsinkiTime("not a time")).toBe("not a time");
  });
});
