import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SCRUB_MARKS, scrubPersonalData } from "../../src/domain/scrub.ts";

describe("scrubPersonalData", () => {
  it.each([
    ["e-mail", "Vastatkaa osoitteeseen matti.meikalainen@example.fi kiitos", "Vastatkaa osoitteeseen [email removed] kiitos"],
    ["mobile, spaced", "Soita 040 123 4567 illalla", "Soita [phone removed] illalla"],
    ["mobile, compact", "numero 0401234567.", "numero [phone removed]."],
    ["landline with area code", "p. 09 310 1234", "p. [phone removed]"],
    ["international", "tel +358 50 123 4567", "tel [phone removed]"],
    ["international compact", "+358501234567", "[phone removed]"],
    ["identity code, 1900s", "hetu 010190-123A", "hetu [personal id removed]"],
    ["identity code, 2000s", "120303A912C", "[personal id removed]"],
    ["identity code, new 1900s letter (2023)", "010190Y123A", "[personal id removed]"],
    ["identity code, new 2000s letter (2023)", "010105B123H", "[personal id removed]"],
    ["identity code, 1800s", "010150+123A", "[personal id removed]"],
    ["signature name", "Terveisin Anna-Liisa Virtanen", "Terveisin [name removed]"],
    ["name before contact", "Sanna Nieminen, 0401234567", "[name removed], [phone removed]"],
  ])("removes %s", (_what, input, expected) => {
    expect(scrubPersonalData(input)).toBe(expected);
  });

  it.each([
    ["postal code", "Mannerheimintie 5, 00100 Helsinki"],
    ["year and date", "Kuoppa on ollut 2015 lähtien, viimeksi 12.3.2016 klo 10:30"],
    ["coordinates", "60.1877848, 24.9712527"],
    ["street and number", "Itäväylä 12 B 5"],
    ["short numbers", "3 kuoppaa, 45 cm syvä"],
    ["place names", "Kulosaaren sillan puolivälissä Helsinki"],
  ])("keeps %s", (_what, input) => {
    expect(scrubPersonalData(input)).toBe(input);
  });

  it("removes the reporter's known names wherever they stand", () => {
    expect(scrubPersonalData("Minä, Maija, huomasin kuopan", ["Maija", "Virtanen"])).toBe(
      "Minä, [name removed], huomasin kuopan",
    );
  });

  it("no generated e-mail, phone or identity code survives, wherever it is placed in text", () => {
    const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
    const email = fc
      .tuple(fc.stringMatching(/^[a-z][a-z0-9._]{1,12}$/), fc.constantFrom("example.fi", "example.com", "posti.example"))
      .map(([u, d]) => `${u}@${d}`);
    const phone = fc.oneof(
      fc.tuple(fc.constantFrom("040", "041", "044", "045", "050"), digits(3), digits(4)).map(([a, b, c]) => `${a} ${b} ${c}`),
      fc.tuple(fc.constantFrom("40", "50", "44"), digits(7)).map(([a, b]) => `+358${a}${b}`),
      fc.tuple(digits(3), digits(4)).map(([a, b]) => `09-${a} ${b}`),
    );
    const day = fc.integer({ min: 1, max: 28 }).map((d) => String(d).padStart(2, "0"));
    const month = fc.integer({ min: 1, max: 12 }).map((m) => String(m).padStart(2, "0"));
    const hetu = fc
      .tuple(
        day,
        month,
        digits(2),
        fc.constantFrom("-", "+", "A", "B", "C", "D", "E", "F", "U", "V", "W", "X", "Y"),
        digits(3),
        fc.constantFrom(..."0123456789ABCDEFHJKLMNPRSTUVWXY"),
      )
      .map(([d, m, y, c, n, k]) => `${d}${m}${y}${c}${n}${k}`);
    const filler = fc.constantFrom("Kuoppa tiessä.", "Soita", "tai", "kiitos!", "Katu 5,", "(", ")", "\n");
    fc.assert(
      fc.property(fc.array(fc.oneof(filler, email, phone, hetu), { minLength: 1, maxLength: 12 }), (parts) => {
        const secrets = parts.filter((p) => /\d{3}|@/.test(p));
        const scrubbed = scrubPersonalData(parts.join(" "));
        for (const secret of secrets) expect(scrubbed).not.toContain(secret);
        expect(scrubbed.includes(SCRUB_MARKS.email) || !parts.some((p) => p.includes("@"))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
