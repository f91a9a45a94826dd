import type { Open311UpdateStatus } from "../../../src/ports/case-system.ts";

/**
 * How the simulator turns a service request update into Helsinki's public-works state. A raw
 * `PUBLIC_WORKS_*` code in `external_status_code` wins (that is what Silta sends); otherwise the
 * mySociety status is mapped. `null` leaves the case's works state as it is.
 */
const WORKS_STATUS_FOR_UPDATE = {
  OPEN: "PUBLIC_WORKS_NEW",
  INVESTIGATING: "PUBLIC_WORKS_NEW",
  IN_PROGRESS: "PUBLIC_WORKS_IN_PROGRESS",
  ACTION_SCHEDULED: "PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER",
  FIXED: "PUBLIC_WORKS_COMPLETED",
  CLOSED: "PUBLIC_WORKS_COMPLETED",
  NO_FURTHER_ACTION: "PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION",
  NOT_COUNCILS_RESPONSIBILITY: "PUBLIC_WORKS_INTERRUPTED",
  DUPLICATE: "PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION",
  INTERNAL_REFERRAL: null,
} as const satisfies Record<Open311UpdateStatus, string | null>;

/** The `PUBLIC_WORKS_*` part an update puts into `detailed_status`, or null for "unchanged". */
export function worksStatusForUpdate(status: Open311UpdateStatus, externalStatusCode: string | null): string | null {
  if (externalStatusCode?.startsWith("PUBLIC_WORKS_")) return externalStatusCode;
  return WORKS_STATUS_FOR_UPDATE[status];
}
