import type { Rng } from "../../../src/lib/prng.ts";

/**
 * Synthetic personal data for generated cases. Citizens do write their name, phone number,
 * e-mail and even their personal identity code into feedback; Silta must keep such text away from
 * logs and from contractors whose mapping does not allow it. The generator plants these values so
 * that checkers can search for them. Every value is invented: common Finnish first and last
 * names combined at random, `example.*` mail domains, and identity codes with individual numbers
 * 900–999, the range reserved for temporary identifiers, so none is a real person's code.
 */

export interface SyntheticPerson {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
}

export interface PlantedPersonalData {
  /** Personal data written into the description text, when the generator planted some. */
  inDescription: (SyntheticPerson & { personalIdentityCode: string }) | null;
  /** Reporter fields (`first_name`, …) served with the record, when present. */
  reporter: SyntheticPerson | null;
}

const FIRST_NAMES = [
  "Matti",
  "Maija",
  "Juha",
  "Anna",
  "Mikko",
  "Laura",
  "Jukka",
  "Sanna",
  "Timo",
  "Hanna",
  "Antti",
  "Elina",
  "Ville",
  "Kaisa",
  "Pekka",
  "Riikka",
  "Tuomas",
  "Aino",
  "Olli",
  "Helmi",
] as const;
const LAST_NAMES = [
  "Meikäläinen",
  "Virtanen",
  "Korhonen",
  "Nieminen",
  "Mäkinen",
  "Hämäläinen",
  "Laine",
  "Heikkinen",
  "Koskinen",
  "Järvinen",
  "Lehtonen",
  "Salminen",
  "Rantanen",
  "Lindqvist",
  "Åberg",
  "Turunen",
] as const;
const MAIL_DOMAINS = ["example.fi", "example.com", "example.net"] as const;
const MOBILE_PREFIXES = ["040", "041", "044", "045", "046", "050"] as const;
const CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY";

function asciiLower(text: string): string {
  return text.toLowerCase().replaceAll("ä", "a").replaceAll("ö", "o").replaceAll("å", "a");
}

function digits(rng: Rng, count: number): string {
  let out = "";
  for (let i = 0; i < count; i += 1) out += String(rng.int(0, 9));
  return out;
}

/** A Finnish mobile number, in one of the ways people write them. */
export function syntheticPhone(rng: Rng): string {
  const prefix = rng.pick(MOBILE_PREFIXES);
  const rest = digits(rng, 7);
  return rng.weighted([
    [`${prefix} ${rest.slice(0, 3)} ${rest.slice(3)}`, 3],
    [`${prefix}${rest}`, 1],
    [`+358 ${prefix.slice(1)} ${rest.slice(0, 3)} ${rest.slice(3)}`, 1],
  ]);
}

/**
 * A Finnish personal identity code (DDMMYYCZZZQ) with a valid check character and an individual
 * number in 900–999. The century sign is `-` for 1900s births and `A` for 2000s births.
 */
export function syntheticPersonalIdentityCode(rng: Rng): string {
  const year = rng.int(1940, 2006);
  const month = rng.int(1, 12);
  const day = rng.int(1, 28);
  const individual = rng.int(900, 999);
  const datePart = `${String(day).padStart(2, "0")}${String(month).padStart(2, "0")}${String(year % 100).padStart(2, "0")}`;
  const check = CHECK_CHARACTERS.charAt(Number(`${datePart}${individual}`) % 31);
  return `${datePart}${year < 2000 ? "-" : "A"}${individual}${check}`;
}

/** Whether a personal identity code's check character is right (used by tests and checkers). */
export function isValidPersonalIdentityCode(code: string): boolean {
  const match = /^(\d{6})[-+A-FU-Y](\d{3})([0-9A-Y])$/.exec(code);
  if (match === null) return false;
  const [, datePart, individual, check] = match;
  return CHECK_CHARACTERS.charAt(Number(`${datePart}${individual}`) % 31) === check;
}

/** A synthetic reporter: random first and last name, an `example.*` address built from them, a mobile number. */
export function syntheticPerson(rng: Rng): SyntheticPerson {
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const separator = rng.pick([".", "_", ""]);
  const email = `${asciiLower(firstName)}${separator}${asciiLower(lastName)}@${rng.pick(MAIL_DOMAINS)}`;
  return { firstName, lastName, email, phone: syntheticPhone(rng) };
}

const CONTACT_SENTENCES: readonly ((p: SyntheticPerson & { personalIdentityCode: string }) => string)[] = [
  (p) =>
    `Lisätietoja antaa ${p.firstName} ${p.lastName}, soita ${p.phone} tai laita viestiä ${p.email}. Henkilötunnus ${p.personalIdentityCode}.`,
  (p) => `Terveisin ${p.firstName} ${p.lastName} (${p.email}, puh. ${p.phone}), hetu ${p.personalIdentityCode}`,
  (p) =>
    `Ottakaa yhteyttä: ${p.firstName} ${p.lastName}, ${p.phone}, ${p.email}. Jos tarvitsette, henkilötunnukseni on ${p.personalIdentityCode}.`,
  (p) =>
    `Soittakaa minulle numeroon ${p.phone} kun asia on hoidettu. ${p.firstName} ${p.lastName}, ${p.personalIdentityCode}, ${p.email}`,
];

/** A contact sentence holding a synthetic name, phone, e-mail and identity code, plus those values. */
export function plantContactSentence(rng: Rng): {
  sentence: string;
  planted: SyntheticPerson & { personalIdentityCode: string };
} {
  const planted = { ...syntheticPerson(rng), personalIdentityCode: syntheticPersonalIdentityCode(rng) };
  return { sentence: rng.pick(CONTACT_SENTENCES)(planted), planted };
}
