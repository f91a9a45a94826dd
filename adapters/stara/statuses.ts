/**
 * Stara's work-order states (`tila`), as they appear on the wire. Silta keeps the raw code beside
 * the canonical status; the mapping to canonical lives in `mappings/status/stara.yaml`.
 */
export const STARA_STATUSES = [
  "UUSI",
  "VASTAANOTETTU",
  "TYÖN_ALLA",
  "VALMIS",
  "SIIRRETTY_MYÖHEMMÄKSI",
  "EI_TOIMENPITEITÄ",
  "KESKEYTETTY",
  "VÄÄRÄ_URAKKA",
  "PERUTTU",
] as const;

export type StaraStatus = (typeof STARA_STATUSES)[number];

/** States that never change again. */
export const STARA_TERMINAL_STATUSES: ReadonlySet<StaraStatus> = new Set([
  "VALMIS",
  "SIIRRETTY_MYÖHEMMÄKSI",
  "EI_TOIMENPITEITÄ",
  "KESKEYTETTY",
  "VÄÄRÄ_URAKKA",
  "PERUTTU",
]);

/** The terminal states a field crew can end a work order in (PERUTTU is the city's, not the crew's). */
export const STARA_CREW_TERMINAL_STATUSES = [
  "VALMIS",
  "SIIRRETTY_MYÖHEMMÄKSI",
  "EI_TOIMENPITEITÄ",
  "KESKEYTETTY",
  "VÄÄRÄ_URAKKA",
] as const satisfies readonly StaraStatus[];

export type StaraCrewTerminalStatus = (typeof STARA_CREW_TERMINAL_STATUSES)[number];

/** True when a work order in this state can no longer change. */
export function isStaraTerminal(status: StaraStatus): boolean {
  return STARA_TERMINAL_STATUSES.has(status);
}
