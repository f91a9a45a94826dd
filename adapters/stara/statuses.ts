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

/** What each state means, in English, for docs, the console and the mapping check. */
export const STARA_STATUS_MEANINGS: Record<StaraStatus, string> = {
  UUSI: "new: registered at Stara, not yet acknowledged",
  VASTAANOTETTU: "received: acknowledged by a foreman",
  TYÖN_ALLA: "in progress: work started",
  VALMIS: "completed: the work is done",
  SIIRRETTY_MYÖHEMMÄKSI: "scheduled later: acknowledged, done later (season, materials)",
  EI_TOIMENPITEITÄ: "no action: inspected, nothing to do",
  KESKEYTETTY: "interrupted: stopped without the work done",
  VÄÄRÄ_URAKKA: "wrong contract: not Stara's area or contract, handed back for re-routing",
  PERUTTU: "cancelled: withdrawn by the city",
};

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

/** True for a code in Stara's documented vocabulary. Codes are compared as given: normalise to NFC first. */
export function isStaraStatus(value: string): value is StaraStatus {
  return (STARA_STATUSES as readonly string[]).includes(value);
}

/** True when a work order in this state can no longer change. */
export function isStaraTerminal(status: StaraStatus): boolean {
  return STARA_TERMINAL_STATUSES.has(status);
}
