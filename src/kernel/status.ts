/**
 * Silta's canonical work-order status vocabulary (see ARCHITECTURE.md).
 * Adapters translate to and from it through the tables in `mappings/status/`.
 */
export const CANONICAL_STATUSES = [
  "pending",
  "sent",
  "received",
  "in_progress",
  "completed",
  "scheduled_later",
  "no_action",
  "interrupted",
  "wrong_contractor",
  "cancelled",
] as const;

export type CanonicalStatus = (typeof CANONICAL_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<CanonicalStatus> = new Set([
  "completed",
  "scheduled_later",
  "no_action",
  "interrupted",
  "wrong_contractor",
  "cancelled",
]);

/** Order of progress: a status only ever moves to a higher rank. All terminal states share the top rank. */
const RANK: Record<CanonicalStatus, number> = {
  pending: 0,
  sent: 1,
  received: 2,
  in_progress: 3,
  completed: 4,
  scheduled_later: 4,
  no_action: 4,
  interrupted: 4,
  wrong_contractor: 4,
  cancelled: 4,
};

export function isCanonicalStatus(value: string): value is CanonicalStatus {
  return (CANONICAL_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: CanonicalStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export type TransitionVerdict = { apply: true } | { apply: false; reason: "stale" | "duplicate" | "after_terminal" };

/**
 * Decides whether a field status may replace the current one. History only moves forward:
 * an equal or lower rank is stale, and nothing replaces a terminal state (a reopened case
 * starts a new round with a new link instead).
 */
export function judgeTransition(current: CanonicalStatus, next: CanonicalStatus): TransitionVerdict {
  if (current === next) return { apply: false, reason: "duplicate" };
  if (isTerminal(current)) return { apply: false, reason: "after_terminal" };
  if (RANK[next] <= RANK[current]) return { apply: false, reason: "stale" };
  return { apply: true };
}
