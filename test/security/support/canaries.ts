import type { GeneratedCase } from "../../../adapters/open311/simulator/generate-cases.ts";
import type { PlantedPersonalData } from "../../../adapters/open311/simulator/personal-data.ts";
import type { WireRecord } from "../../../adapters/open311/simulator/store.ts";

/**
 * Canary personal data for the security suite's scans (S6). Every value is invented and unusual
 * enough that finding it anywhere is a leak, not a coincidence: the last names are not real
 * Finnish names, the mail domains are `example.*`, the phone numbers are fixed, and the identity
 * codes use individual numbers 900–999 (temporary identifiers) with a valid check character.
 */

const CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY";

/** A personal identity code with a valid check character for this date, century sign and number. */
export function identityCode(datePart: string, sign: string, individual: number): string {
  return `${datePart}${sign}${individual}${CHECK_CHARACTERS.charAt(Number(`${datePart}${individual}`) % 31)}`;
}

/** One code per century sign: `+` (1800s), `-` and the 2023 letters `YXWVU` (1900s), `A` and `BCDEF` (2000s). */
export const IDENTITY_CODES: readonly string[] = [
  identityCode("150385", "+", 931),
  identityCode("010170", "-", 902),
  identityCode("020271", "Y", 913),
  identityCode("030372", "X", 924),
  identityCode("040473", "W", 935),
  identityCode("050574", "V", 946),
  identityCode("060675", "U", 957),
  identityCode("070705", "A", 968),
  identityCode("080806", "B", 979),
  identityCode("090907", "C", 981),
  identityCode("101008", "D", 992),
  identityCode("111109", "E", 903),
  identityCode("121210", "F", 914),
];

export interface CanaryPerson {
  firstName: string;
  lastName: string;
  email: string;
  /** As the citizen wrote it. */
  phone: string;
}

/** Reporter fields (first_name, last_name, email, phone) of the canary cases. */
export const REPORTER: CanaryPerson = {
  firstName: "Kanerva",
  lastName: "Kanarialahti",
  email: "kanerva.kanarialahti@example.fi",
  phone: "040 987 6543",
};

/** Signs the description ("Terveisin …") with an e-mail and an E.164 number. */
export const SIGNER: CanaryPerson = {
  firstName: "Ilmari",
  lastName: "Kanarialintu",
  email: "ilmari.kanarialintu@example.com",
  phone: "+358 50 765 4321",
};

/** Named in the title after "ilmoittaja:". */
export const TITLE_PERSON: CanaryPerson = {
  firstName: "Aune",
  lastName: "Kanariasaari",
  email: "aune@kanariasaari.example.net",
  phone: "045-123 4987",
};

/** Named in the address after "yhteyshenkilö:", with a Helsinki landline. */
export const ADDRESS_PERSON: CanaryPerson = {
  firstName: "Veikko",
  lastName: "Kanariamaa",
  email: "veikko.kanariamaa@example.org",
  phone: "09 3109 8765",
};

const PEOPLE = [REPORTER, SIGNER, TITLE_PERSON, ADDRESS_PERSON] as const;

/** The canary case's free texts: names near contact markers, e-mails, phones and identity codes. */
export function canaryTexts(index: number): { title: string; description: string; address: string; statusNotes: string } {
  const code = IDENTITY_CODES[index % IDENTITY_CODES.length] ?? "";
  const second = IDENTITY_CODES[(index + 5) % IDENTITY_CODES.length] ?? "";
  return {
    title: `Kuoppa kadulla, ilmoittaja: ${TITLE_PERSON.firstName} ${TITLE_PERSON.lastName} ${TITLE_PERSON.phone}`,
    description:
      `Kadussa on syvä kuoppa pyörätien kohdalla. Henkilötunnukseni on ${code} ja vaimoni ${second}.\n\n` +
      `Terveisin ${SIGNER.firstName} ${SIGNER.lastName} (${SIGNER.email}, puh. ${SIGNER.phone}). ` +
      `Voitte myös soittaa numeroon ${REPORTER.phone} tai kirjoittaa ${REPORTER.email}. ` +
      `Regards, ${TITLE_PERSON.firstName} ${TITLE_PERSON.lastName}, ${TITLE_PERSON.email}`,
    address: `Mannerheimintie ${index + 1}, yhteyshenkilö: ${ADDRESS_PERSON.firstName} ${ADDRESS_PERSON.lastName} puh. ${ADDRESS_PERSON.phone}, ${ADDRESS_PERSON.email}`,
    statusNotes: `Kiitos ${REPORTER.firstName} ${REPORTER.lastName}, välitimme asian eteenpäin.`,
  };
}

/**
 * Takes generated cases (real-looking service codes, places and statuses) and puts canary
 * personal data into every citizen field and every free text of each.
 */
export function withCanaries(generated: readonly GeneratedCase[]): { record: WireRecord; planted: PlantedPersonalData }[] {
  return generated.map(({ record }, index) => {
    const texts = canaryTexts(index);
    const extended = (record.extended_attributes ?? {}) as Record<string, unknown>;
    const next: WireRecord = {
      ...record,
      description: texts.description,
      address: texts.address,
      status_notes: texts.statusNotes,
      first_name: REPORTER.firstName,
      last_name: REPORTER.lastName,
      email: REPORTER.email,
      phone: REPORTER.phone,
      extended_attributes: { ...extended, title: texts.title } as WireRecord["extended_attributes"],
    };
    const planted: PlantedPersonalData = {
      inDescription: { ...SIGNER, personalIdentityCode: IDENTITY_CODES[index % IDENTITY_CODES.length] ?? "" },
      reporter: { ...REPORTER },
    };
    return { record: next, planted };
  });
}

export interface Needle {
  /** What kind of personal data, for the report. */
  kind: string;
  value: string;
}

function compact(text: string): string {
  return text.replace(/[\s-]/g, "");
}

/** Every canary value to search for, in the forms a leak could take (as written, without spaces). */
export function canaryNeedles(extra: readonly PlantedPersonalData[] = []): Needle[] {
  const needles: Needle[] = [];
  const add = (kind: string, value: string | null | undefined) => {
    if (value && value.length >= 4 && !needles.some((n) => n.value === value)) needles.push({ kind, value });
  };
  for (const person of PEOPLE) {
    add("name", `${person.firstName} ${person.lastName}`);
    // The invented last names are unique words: one alone is already a leak.
    add("name", person.lastName);
    add("email", person.email);
    add("phone", person.phone);
    add("phone", compact(person.phone));
  }
  for (const code of IDENTITY_CODES) add("identity code", code);
  // Planted data of the sandbox's own generated cases (common Finnish names: full names only).
  for (const planted of extra) {
    for (const person of [planted.inDescription, planted.reporter]) {
      if (!person) continue;
      add("name", `${person.firstName} ${person.lastName}`);
      add("email", person.email);
      add("phone", person.phone);
    }
    add("identity code", planted.inDescription?.personalIdentityCode);
  }
  return needles;
}

export interface Hit {
  place: string;
  kind: string;
  value: string;
  /** A few characters around the hit, to find it. */
  context: string;
}

/** One output to scan: where it came from and its text. */
export interface Output {
  place: string;
  text: string;
}

/** Every occurrence of every needle in every output (case-insensitive). */
export function scanForCanaries(outputs: readonly Output[], needles: readonly Needle[]): Hit[] {
  const hits: Hit[] = [];
  for (const output of outputs) {
    const haystack = output.text.toLowerCase();
    for (const needle of needles) {
      const at = haystack.indexOf(needle.value.toLowerCase());
      if (at >= 0) {
        hits.push({
          place: output.place,
          kind: needle.kind,
          value: needle.value,
          context: output.text.slice(Math.max(0, at - 60), at + needle.value.length + 60),
        });
      }
    }
  }
  return hits;
}

/** Hits as lines, one per hit, for a failing assertion's message. */
export function describeHits(hits: readonly Hit[]): string {
  return hits.map((h) => `${h.place}: ${h.kind} "${h.value}" in …${h.context.replace(/\s+/g, " ")}…`).join("\n");
}
