import type { Rng } from "../../../src/lib/prng.ts";
import type { StaraCrewTerminalStatus, StaraStatus } from "../statuses.ts";
import { isStaraTerminal, STARA_CREW_TERMINAL_STATUSES } from "../statuses.ts";

/**
 * The path a work order takes at Stara when nobody interferes: UUSI → VASTAANOTETTU →
 * TYÖN_ALLA → one terminal state chosen by weight. Returns null when there is no next step.
 * The step is computed from the current state, so a manual or silent change in between simply
 * continues from wherever the work order now is.
 */
export function nextAutomaticStatus(
  current: StaraStatus,
  rng: Rng,
  terminalWeights: Record<StaraCrewTerminalStatus, number>,
): StaraStatus | null {
  if (isStaraTerminal(current)) return null;
  if (current === "UUSI") return "VASTAANOTETTU";
  if (current === "VASTAANOTETTU") return "TYÖN_ALLA";
  const weighted = STARA_CREW_TERMINAL_STATUSES.map((status) => [status, terminalWeights[status]] as const).filter(
    ([, weight]) => weight > 0,
  );
  return weighted.length > 0 ? rng.weighted(weighted) : "VALMIS";
}

/** Crew notes as Stara's field app would write them: short, Finnish, no personal data. */
const CREW_NOTES: Record<StaraStatus, readonly string[]> = {
  UUSI: ["Työtilaus kirjattu."],
  VASTAANOTETTU: ["Vastaanotettu, ohjattu alueen työnjohdolle.", "Vastaanotettu, kohde tarkastetaan."],
  TYÖN_ALLA: ["Työryhmä kohteessa.", "Korjaustyö aloitettu."],
  VALMIS: ["Korjattu.", "Työ tehty ja alue siivottu."],
  SIIRRETTY_MYÖHEMMÄKSI: ["Tehdään keväällä, kun asfalttiasemat avautuvat.", "Odottaa materiaalia, tehdään myöhemmin."],
  EI_TOIMENPITEITÄ: ["Tarkastettu, ei korjattavaa.", "Kohde kunnossa tarkastushetkellä."],
  KESKEYTETTY: ["Keskeytetty: kohteeseen ei päästy.", "Keskeytetty sään vuoksi."],
  VÄÄRÄ_URAKKA: ["Kohde ei kuulu Staran urakka-alueeseen."],
  PERUTTU: ["Peruttu."],
};

/** A plausible crew note for a state. */
export function crewNote(status: StaraStatus, rng: Rng): string {
  return rng.pick(CREW_NOTES[status]);
}

/** A delay drawn uniformly from the progress range. */
export function progressDelay(range: { minDelayMs: number; maxDelayMs: number }, rng: Rng): number {
  const min = Math.max(0, Math.min(range.minDelayMs, range.maxDelayMs));
  const max = Math.max(min, range.maxDelayMs);
  return rng.int(Math.floor(min), Math.floor(max));
}
