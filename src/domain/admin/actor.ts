/** Who performs an admin action: `admin:<token fingerprint>`; written into every audit row. */
export type Actor = string;

/** The outcome of one admin action, as the API and the console report it. */
export interface ActionResult {
  /** False when the subject was not in a state the action applies to (nothing changed). */
  ok: boolean;
  subject: string;
  /** What happened, in a word or two: `requeued`, `skipped`, `not_applicable`, … */
  result: string;
  message: string;
}

/** Admin notes are short, free text written by staff; they are kept, but bounded. */
export function boundedNote(note: string | null | undefined, max = 500): string | null {
  const trimmed = note?.trim();
  return trimmed ? trimmed.slice(0, max) : null;
}
