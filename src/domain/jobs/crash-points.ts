/**
 * Labelled steps where the chaos harness kills a Silta process (`kill -9` semantics) to prove
 * that no step loses or duplicates work (reliability.md R4). The core calls
 * `deps.crashPoint?.(label)`; only the harness's child entry sets that hook.
 */
export const CRASH_POINT_LABELS = [
  /** Jobs claimed (leases taken), nothing sent yet. */
  "after_claim",
  /** The target stored the work order and answered 2xx; Silta has not committed it. */
  "after_target_2xx_before_commit",
  /** A webhook's events are in the inbox; the sender has not had its answer (src/http/app.ts). */
  "after_inbox_insert",
  /** The case system took the write-back; Silta has not recorded it. */
  "before_write_back_commit",
] as const;
export type CrashPointLabel = (typeof CRASH_POINT_LABELS)[number];

/** True for a known label (the harness validates SILTA_CRASH_AT with it). */
export function isCrashPointLabel(value: string): value is CrashPointLabel {
  return (CRASH_POINT_LABELS as readonly string[]).includes(value);
}
