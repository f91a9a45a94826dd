/**
 * Hostile answers for the simulators' `hostile` knob (issue 7, "Hostile responses"): what a
 * compromised or careless contractor system might send back. Silta must validate, cap and store
 * these as data, and never render them unescaped. Shared by the Stara and contractor simulators.
 */

/** Script and markup that would run if a page interpolated it raw. */
export const HOSTILE_MARKUP = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  "</textarea></pre><iframe src=javascript:alert(1)>",
] as const;

/** Longer than any field Silta stores (notes are capped at 2,000 characters). */
export const OVERLONG_LENGTH = 20_000;

/** A crew note with every kind of markup, `length` characters long (≥ the markup's own length). */
export function hostileNote(sequence: number, length = 1_500): string {
  const head = `Huom ${sequence}: ${HOSTILE_MARKUP.join(" ")} `;
  return head.padEnd(Math.max(length, head.length), "A<b>");
}

/** Fields no schema knows, including ones that try to smuggle markup or pollute prototypes. */
export function hostileExtraFields(sequence: number): Record<string, unknown> {
  return {
    ylimaarainen_kentta: `${HOSTILE_MARKUP[0]} ${sequence}`,
    html_body: HOSTILE_MARKUP.join(""),
    constructor: { prototype: { isAdmin: true } },
    nested: { deeper: { deepest: [HOSTILE_MARKUP[1], { x: "y".repeat(1_000) }] } },
  };
}

/** A status text that is not a status: markup (it must be quarantined and shown escaped). */
export const HOSTILE_STATUS = HOSTILE_MARKUP[0];
