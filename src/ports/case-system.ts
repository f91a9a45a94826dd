import type { HeaderMap } from "./work-order-system.ts";

/**
 * CaseSystem port: the city's feedback system (Open311 / GeoReport v2). Core code talks only to
 * this interface; `adapters/open311` implements it for Helsinki and any GeoReport v2 server.
 */

/** One entry of Helsinki's undocumented `extended_attributes.tasks` hand-off history. */
export interface CaseTask {
  createdAt: string | null;
  modifiedAt: string | null;
  ownerName: string | null;
  type: string | null;
  state: string | null;
}

/**
 * A case as Silta understands it, normalised from whatever the wire carried
 * (`""`, `null` and a missing field all become `null`; ids stay strings; lat/long numbers).
 */
export interface CaseRecord {
  serviceRequestId: string;
  status: "open" | "closed";
  statusNotes: string | null;
  serviceCode: string;
  serviceName: string | null;
  title: string | null;
  description: string | null;
  agencyResponsible: string | null;
  /** ISO 8601 with offset, as received. */
  requestedAt: string | null;
  updatedAt: string | null;
  expectedAt: string | null;
  address: string | null;
  addressId: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  mediaUrls: string[];
  /** The feedback desk's part of `detailed_status` (RECEIVED, IN_PROCESS, PROCESSED, …). */
  deskStatus: string | null;
  /** The public-works part of `detailed_status` (PUBLIC_WORKS_*), when there is one. */
  worksStatus: string | null;
  detailedStatusRaw: string | null;
  tasks: CaseTask[];
  serviceObjectId: string | null;
  serviceObjectType: string | null;
  /**
   * The case this one duplicates, where the case system says so (`extended_attributes.duplicate_of`,
   * or a top-level `duplicate_of` as FixMyStreet-style servers have it); absent: not said.
   */
  duplicateOf?: string | null;
  /**
   * Reporter contact details, when the source exposes them. Personal data: never logged, never
   * in the ledger, sent to a target only when its mapping allows the field.
   */
  reporter: { firstName: string | null; lastName: string | null; email: string | null; phone: string | null } | null;
  /**
   * Fields whose text was cleaned on the way in (characters PostgreSQL cannot store), by path;
   * absent when nothing was. Names only, never values.
   */
  cleanedFields?: string[];
}

/** Status values of the service-request-updates extension (mySociety / FixMyStreet). */
export const OPEN311_UPDATE_STATUSES = [
  "OPEN",
  "INVESTIGATING",
  "IN_PROGRESS",
  "ACTION_SCHEDULED",
  "FIXED",
  "CLOSED",
  "NO_FURTHER_ACTION",
  "NOT_COUNCILS_RESPONSIBILITY",
  "DUPLICATE",
  "INTERNAL_REFERRAL",
] as const;
export type Open311UpdateStatus = (typeof OPEN311_UPDATE_STATUSES)[number];

/** A write-back to the case: field status plus a citizen-safe note. */
export interface CaseStatusUpdate {
  serviceRequestId: string;
  /** Silta's id for this update; the case system treats a repeated id as the same update. */
  updateId: string;
  updatedAt: string;
  status: Open311UpdateStatus;
  /** Citizen-facing text, free of personal data. */
  description: string;
  /** The raw external code carried along, e.g. `PUBLIC_WORKS_IN_PROGRESS`. */
  externalStatusCode: string | null;
  /** A photo a handler approved for publication (GeoReport v2 update `media_url`); absent: none. */
  mediaUrl?: string;
}

/** A listed row that could not be read as a case. Never the row itself: it may hold personal data. */
export interface RejectedCaseRow {
  /** The row's id, when it could be read. */
  serviceRequestId: string | null;
  /** Names fields, never values. */
  reason: string;
  /** SHA-256 of the row (canonical JSON): tells the same bad row from another without keeping it. */
  rowHash: string;
}

/** What a list read could not take in, told as it happens so that the caller can record it. */
export interface ListReport {
  rejected?(row: RejectedCaseRow): void;
  /** A window whose answer may still be cut after every way of reading it smaller. */
  truncated?(window: { after: Date; before: Date; rowCount: number }): void;
}

/**
 * Whether the case system takes write-backs (mySociety's `servicerequestupdates`), as probed at
 * start: `unavailable` when the endpoint is not there (404, 405, 501), `unknown` when the probe
 * itself failed (then write-back stays on and its jobs retry as usual).
 */
export interface WriteBackProbe {
  state: "available" | "unavailable" | "unknown";
  /** A short reason: status, content type and the first words of the answer. */
  reason: string;
}

export interface CaseSystem {
  /**
   * Every case updated in [updatedAfter, updatedBefore), de-duplicated by id. Implementations
   * walk the source's windows and pages themselves (following its paging signals, shrinking a
   * window that may be cut). With `onPage`, an implementation may hand the records over page by
   * page instead (oldest first; a case can come twice, the later copy newer) and return only
   * what it did not. `report` hears of rows that could not be read and windows still cut.
   * `status` narrows the read to open cases (the anti-entropy re-read of old open cases).
   */
  listChangedCases(
    updatedAfter: Date,
    updatedBefore: Date,
    onPage?: (records: CaseRecord[]) => Promise<void>,
    report?: ListReport,
    status?: "open",
  ): Promise<CaseRecord[]>;
  /** One case by id, or null when the source does not know it. */
  getCase(serviceRequestId: string): Promise<CaseRecord | null>;
  /**
   * Many cases by id in few calls (Open311 `service_request_id` lists), where the source allows
   * it. Returns the cases the lists answered; an id missing from them is not proven unknown (a
   * pre-moderated Helsinki case shows only through `getCase`), so callers ask `getCase` for those.
   */
  getCases?(serviceRequestIds: readonly string[]): Promise<CaseRecord[]>;
  /** Asks whether write-back exists at the source (see WriteBackProbe). Absent: assume it does. */
  probeWriteBack?(): Promise<WriteBackProbe>;
  /** Writes field status back to the case. Idempotent by `updateId`. */
  postStatusUpdate(update: CaseStatusUpdate): Promise<{ updateId: string }>;
  /**
   * Verifies and reads cases the source pushed to Silta (`POST /intake/open311`). Absent when
   * push intake is not configured: then the poll is the only way in. Throws SiltaError
   * `webhook_signature_invalid` or `webhook_malformed` for a request to refuse whole.
   */
  readPush?(headers: HeaderMap, rawBody: string): PushedCases;
}

/** What one push carried: the cases that could be read, and each row that could not, with why. */
export interface PushedCases {
  records: CaseRecord[];
  /** Never the row itself: it may hold personal data. */
  rejects: { index: number; reason: string; serviceRequestId: string | null }[];
}
