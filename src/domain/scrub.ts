/**
 * Removes personal data from free text before it leaves Silta's citizen-data store: e-mail
 * addresses, phone numbers (Finnish national forms and E.164) and Finnish personal identity
 * codes (every century sign, including the letters in use since 2023). Over-scrubbing a
 * number that only looks like a phone number is the safe side of the trade.
 */

/** Finnish personal identity code: DDMMYY, century sign, individual number, check character. */
const PERSONAL_IDENTITY_CODE = /\b(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y](?![0-9A-Za-z])/gi;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/**
 * International numbers (+358 …, any E.164) and Finnish national numbers that start with 0
 * (mobile 040…050, landline 09…), allowing spaces, hyphens and a parenthesised area code.
 * At least seven digits in all, so postal codes (00540) and years stay.
 */
const PHONE =
  /(?:\+|00)\d{1,3}[\s-]?(?:\(0\)[\s-]?)?\d{1,4}(?:[\s-]?\d{1,4}){1,4}(?!\d)|\(?\b0\d{1,3}\)?[\s-]?\d{3,4}(?:[\s-]?\d{2,4}){1,2}(?!\d)/g;

export const SCRUB_MARKS = {
  email: "[email removed]",
  phone: "[phone removed]",
  personalIdentityCode: "[personal id removed]",
  name: "[name removed]",
} as const;

/** A capitalised word, Finnish letters and double-barrelled names included (Anna-Liisa, Meikäläinen). */
const NAME_WORD = "[A-ZÅÄÖ][a-zåäöéü]+(?:-[A-ZÅÄÖ][a-zåäöéü]+)?";
const FULL_NAME = `${NAME_WORD}(?:\\s+${NAME_WORD}){1,2}`;

/**
 * Names cannot be found in free text by pattern alone, but in feedback they stand where people
 * sign or give contact details: after a greeting or a contact phrase, or right before the contact
 * details themselves. These heuristics catch those places; known reporter names are removed
 * wherever they stand.
 */
const NAME_AFTER_PHRASE = new RegExp(
  `(\\b(?:[Tt]erveisin|[Tt]erv\\.|T\\.|[Nn]imeni on|[Ll]isätietoja antaa|[Yy]hteyttä:|[Yy]hteyshenkilö:?|[Ii]lmoittaja:?|[Rr]egards,?)\\s+)(${FULL_NAME})`,
  "g",
);
const MARK = "\\[(?:email|phone|personal id) removed\\]";
const NAME_BEFORE_MARK = new RegExp(`(${FULL_NAME})(?=\\s*[,(]?\\s*(?:puh\\.\\s*)?${MARK})`, "g");

function digitCount(text: string): number {
  let count = 0;
  for (const ch of text) if (ch >= "0" && ch <= "9") count++;
  return count;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Free text with e-mails, phone numbers, personal identity codes and names in signature or
 * contact positions replaced by marks. `knownNames` (e.g. the reporter's own first and last
 * name) are removed wherever they stand.
 */
export function scrubPersonalData(text: string, knownNames: readonly (string | null | undefined)[] = []): string {
  let result = text
    .replace(PERSONAL_IDENTITY_CODE, SCRUB_MARKS.personalIdentityCode)
    .replace(EMAIL, SCRUB_MARKS.email)
    .replace(PHONE, (match) => (digitCount(match) >= 7 ? SCRUB_MARKS.phone : match))
    .replace(NAME_AFTER_PHRASE, (_match, phrase: string) => `${phrase}${SCRUB_MARKS.name}`)
    .replace(NAME_BEFORE_MARK, SCRUB_MARKS.name);
  for (const name of knownNames) {
    if (name && name.trim().length >= 2) {
      result = result.replace(new RegExp(`(?<![\\p{L}])${escapeRegExp(name.trim())}(?![\\p{L}])`, "giu"), SCRUB_MARKS.name);
    }
  }
  return result;
}

/** Same as scrubPersonalData, keeping null as null. */
export function scrubOptional(
  text: string | null | undefined,
  knownNames: readonly (string | null | undefined)[] = [],
): string | null {
  return text == null ? null : scrubPersonalData(text, knownNames);
}
