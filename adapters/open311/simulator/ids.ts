import type { Rng } from "../../../src/lib/prng.ts";

/** Helsinki's request ids: 20 characters of `[0-9a-v]` (base 32). */
export const ID_ALPHABET = "0123456789abcdefghijklmnopqrstuv";
export const ID_PATTERN = /^[0-9a-v]{20}$/;

/** A new 20-character `[0-9a-v]` id from the seeded generator (request, attachment and update ids alike). */
export function mintHelsinkiId(rng: Rng): string {
  let id = "";
  for (let i = 0; i < 20; i += 1) id += ID_ALPHABET.charAt(rng.int(0, ID_ALPHABET.length - 1));
  return id;
}
