import { z } from "zod";
import { storableDeep } from "../../src/lib/storable-text.ts";
import type { CaseRecord, CaseTask } from "../../src/ports/case-system.ts";

/**
 * Tolerant reading of GeoReport v2 records as Helsinki serves them. Every quirk in
 * `design/helsinki-open311.md` §2 is accepted here so that the rest of Silta sees one shape:
 * `""`, `null` and a missing field all become `null`; ids stay strings; `lat`/`long` strings
 * become numbers; `zip_code` is read as `zipcode`. Text PostgreSQL cannot store (U+0000, lone
 * surrogates) is cleaned and the record says which fields were (`cleanedFields`). A record with
 * no service code is still a case (`serviceCode` is `""`; routing excludes it with a reason, so the
 * ledger counts it). A record that cannot be a case at all (not an object, no id, a status that
 * is neither open nor closed) is rejected whole, with a reason, so the caller can quarantine it:
 * nothing here throws on bad data and nothing is half-parsed.
 */

export type CaseParseResult =
  | { ok: true; record: CaseRecord }
  | {
      ok: false;
      /** Names the fields at fault, never their values (they may hold personal data). */
      reason: string;
      /** The record's id when it could be read, so a quarantine can key on it. */
      serviceRequestId: string | null;
    };

export interface CaseListReject {
  /** Position in the response array. */
  index: number;
  reason: string;
  serviceRequestId: string | null;
  /** The raw row as received. May contain personal data: store it, never log it. */
  raw: unknown;
}

export type CaseListParseResult =
  | {
      ok: true;
      records: CaseRecord[];
      rejects: CaseListReject[];
      /** Rows in the response, good or bad: what the server's row cap counts. */
      rowCount: number;
    }
  | { ok: false; reason: string };

const PUBLIC_WORKS_PREFIX = "PUBLIC_WORKS_";

/**
 * Caps on what one record may carry (S4). Text beyond the cap is cut (ending in "…"): the full
 * text stays in the city's system, and a long report is still a case. Ids beyond their cap reject
 * the record; media URLs beyond their cap or count are dropped.
 */
export const CASE_RECORD_LIMITS = {
  textChars: 5_000,
  idChars: 100,
  mediaUrls: 10,
  mediaUrlChars: 2_048,
  tasks: 100,
} as const;

function capText(value: string): string {
  return value.length > CASE_RECORD_LIMITS.textChars ? `${value.slice(0, CASE_RECORD_LIMITS.textChars - 1)}…` : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function blankToNull(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === "string" && value.trim() === "") return null;
  return value;
}

/** Optional text: blank → null, numbers kept as their string form, anything else unreadable → null. */
const optionalText = z
  .preprocess(blankToNull, z.union([z.string().transform(capText), z.number().transform((n) => String(n))]).nullable())
  .catch(null);

/** ISO 8601 date and time with its offset: what the targets' contracts accept. */
const ISO_8601_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A timestamp: ISO 8601 with an offset kept exactly as received; another form a date parser
 * reads (a server's RFC 2822 `Mon, 07 Dec 2026 09:00:00 +0200`, a bare date) turned into ISO
 * 8601 UTC, since targets accept only that; null when it does not parse as a date.
 */
const optionalDatetime = optionalText.transform((value) => {
  if (value === null) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  return ISO_8601_WITH_OFFSET.test(value) ? value : new Date(ms).toISOString();
});

function coordinate(limit: number) {
  return z
    .preprocess((value) => {
      if (typeof value === "number") return value;
      // Tolerate a decimal comma: Finnish locales write 60,17.
      if (typeof value === "string" && value.trim() !== "") return Number(value.trim().replace(",", "."));
      return null;
    }, z.number().nullable())
    .transform((n) => (n !== null && Number.isFinite(n) && Math.abs(n) <= limit ? n : null))
    .catch(null);
}

/** Ids are strings on the wire; a number is accepted and turned into its string form, never the reverse. */
function requiredId(field: string) {
  return z.preprocess(
    (value) => (typeof value === "number" && Number.isFinite(value) ? String(value) : value),
    z
      .string({ error: `${field} is missing or not a string` })
      .trim()
      .min(1, { error: `${field} is empty` })
      .max(CASE_RECORD_LIMITS.idChars, { error: `${field} is longer than ${CASE_RECORD_LIMITS.idChars} characters` }),
  );
}

const mediaList = z
  .preprocess((value) => {
    if (typeof value === "string") return [value];
    return Array.isArray(value) ? value : [];
  }, z.array(z.unknown()))
  .transform((items) =>
    items
      .filter(
        (item): item is string =>
          typeof item === "string" && item.trim() !== "" && item.length <= CASE_RECORD_LIMITS.mediaUrlChars,
      )
      .slice(0, CASE_RECORD_LIMITS.mediaUrls),
  )
  .catch([]);

const taskSchema = z.object({
  task_created: optionalDatetime,
  task_modified: optionalDatetime,
  owner_name: optionalText,
  task_type: optionalText,
  task_state: optionalText,
});

/** Tasks are history for people to read; an entry that is not an object is skipped rather than failing the case. */
const taskList = z
  .preprocess(
    (value) => (Array.isArray(value) ? value.filter(isPlainObject).slice(0, CASE_RECORD_LIMITS.tasks) : []),
    z.array(taskSchema),
  )
  .transform((tasks): CaseTask[] =>
    tasks.map((task) => ({
      createdAt: task.task_created,
      modifiedAt: task.task_modified,
      ownerName: task.owner_name,
      type: task.task_type,
      state: task.task_state,
    })),
  )
  .catch([]);

const extendedAttributes = z.preprocess(
  (value) => (isPlainObject(value) ? value : {}),
  z.object({
    title: optionalText,
    detailed_status: optionalText,
    media_urls: mediaList,
    tasks: taskList,
    service_object_id: optionalText,
    service_object_type: optionalText,
    duplicate_of: optionalText,
  }),
);

/**
 * Status words servers use besides GeoReport's own `open` and `closed` (SeeClickFix-style
 * `Acknowledged`, `Archived`; Mark-a-Spot's `in_progress`). Anything else is not guessed.
 */
const STATUS_SYNONYMS: Record<string, "open" | "closed"> = {
  open: "open",
  opened: "open",
  new: "open",
  acknowledged: "open",
  in_progress: "open",
  "in progress": "open",
  closed: "closed",
  archived: "closed",
  resolved: "closed",
};

/** A service code, or `""` when the record has none (still a case: routing excludes it). */
const serviceCode = z.preprocess(
  (value) => (typeof value === "number" && Number.isFinite(value) ? String(value) : (blankToNull(value) ?? "")),
  z
    .string({ error: "service_code is not a string" })
    .trim()
    .max(CASE_RECORD_LIMITS.idChars, { error: `service_code is longer than ${CASE_RECORD_LIMITS.idChars} characters` }),
);

const wireRecord = z.object({
  service_request_id: requiredId("service_request_id"),
  service_code: serviceCode,
  status: z.preprocess(
    (value) => (typeof value === "string" ? (STATUS_SYNONYMS[value.trim().toLowerCase()] ?? value) : value),
    z.enum(["open", "closed"], { error: "status is missing or not open/closed" }),
  ),
  status_notes: optionalText,
  service_name: optionalText,
  description: optionalText,
  agency_responsible: optionalText,
  duplicate_of: optionalText,
  requested_datetime: optionalDatetime,
  updated_datetime: optionalDatetime,
  expected_datetime: optionalDatetime,
  address: optionalText,
  address_id: optionalText,
  zipcode: optionalText,
  zip_code: optionalText,
  lat: coordinate(90),
  long: coordinate(180),
  media_url: mediaList,
  first_name: optionalText,
  last_name: optionalText,
  email: optionalText,
  phone: optionalText,
  extended_attributes: extendedAttributes,
});

/**
 * Splits Helsinki's `detailed_status` ("desk state[,PUBLIC_WORKS_* state]") into its two
 * dimensions. The desk part is the first part that is not a public-works state; the works part is
 * the first `PUBLIC_WORKS_*` part. Either may be null.
 */
export function splitDetailedStatus(raw: string | null): { deskStatus: string | null; worksStatus: string | null } {
  if (raw === null) return { deskStatus: null, worksStatus: null };
  const parts = raw
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  return {
    deskStatus: parts.find((part) => !part.startsWith(PUBLIC_WORKS_PREFIX)) ?? null,
    worksStatus: parts.find((part) => part.startsWith(PUBLIC_WORKS_PREFIX)) ?? null,
  };
}

/** A listed row's id as parseCaseRecord reads it, or null for a row that is not an object with one. */
export function listedRowId(raw: unknown): string | null {
  return isPlainObject(raw) ? readableId(raw) : null;
}

function readableId(raw: Record<string, unknown>): string | null {
  const id = raw.service_request_id;
  if (typeof id === "string" && id.trim() !== "") return id.trim();
  if (typeof id === "number" && Number.isFinite(id)) return String(id);
  return null;
}

/**
 * Parses one wire record into a CaseRecord, or says why it cannot. Never throws.
 * `media_urls` and `media_url` are merged (Helsinki's `media_url` is the first of `media_urls`),
 * keeping order and dropping repeats.
 */
export function parseCaseRecord(raw: unknown): CaseParseResult {
  if (!isPlainObject(raw)) return { ok: false, reason: "record is not a JSON object", serviceRequestId: null };
  const parsed = wireRecord.safeParse(raw);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
      .join("; ");
    return { ok: false, reason, serviceRequestId: readableId(raw) };
  }
  const wire = parsed.data;
  const extended = wire.extended_attributes;
  const { deskStatus, worksStatus } = splitDetailedStatus(extended.detailed_status);
  const hasReporter = wire.first_name !== null || wire.last_name !== null || wire.email !== null || wire.phone !== null;
  const record: CaseRecord = {
    serviceRequestId: wire.service_request_id,
    status: wire.status,
    statusNotes: wire.status_notes,
    serviceCode: wire.service_code,
    serviceName: wire.service_name,
    title: extended.title,
    description: wire.description,
    agencyResponsible: wire.agency_responsible,
    requestedAt: wire.requested_datetime,
    updatedAt: wire.updated_datetime,
    expectedAt: wire.expected_datetime,
    address: wire.address,
    addressId: wire.address_id,
    zipcode: wire.zipcode ?? wire.zip_code,
    lat: wire.lat,
    long: wire.long,
    mediaUrls: [...new Set([...extended.media_urls, ...wire.media_url])].slice(0, CASE_RECORD_LIMITS.mediaUrls),
    deskStatus,
    worksStatus,
    detailedStatusRaw: extended.detailed_status,
    tasks: extended.tasks,
    serviceObjectId: extended.service_object_id,
    serviceObjectType: extended.service_object_type,
    ...duplicateOf(extended.duplicate_of ?? wire.duplicate_of, wire.service_request_id),
    reporter: hasReporter ? { firstName: wire.first_name, lastName: wire.last_name, email: wire.email, phone: wire.phone } : null,
  };
  const { value: storable, cleaned } = storableDeep(record);
  return { ok: true, record: cleaned.length > 0 ? { ...storable, cleanedFields: cleaned } : storable };
}

/** `duplicateOf` when the server names another case (a case is never its own duplicate); nothing otherwise. */
function duplicateOf(parent: string | null | undefined, self: string): { duplicateOf?: string } {
  return parent && parent !== self ? { duplicateOf: parent } : {};
}

/**
 * Parses a list response (a top-level JSON array). Good rows become records, bad rows become
 * rejects with their reason; a body that is not an array at all is not a list, and the caller
 * must treat it as a failed call rather than as "no cases" (which would silently skip a window).
 * `parseRow` may answer from memory (parse-memo.ts).
 */
export function parseCaseList(body: unknown, parseRow: (raw: unknown) => CaseParseResult = parseCaseRecord): CaseListParseResult {
  if (!Array.isArray(body)) return { ok: false, reason: "response body is not a JSON array" };
  const records: CaseRecord[] = [];
  const rejects: CaseListReject[] = [];
  body.forEach((row, index) => {
    const result = parseRow(row);
    if (result.ok) records.push(result.record);
    else rejects.push({ index, reason: result.reason, serviceRequestId: result.serviceRequestId, raw: row });
  });
  return { ok: true, records, rejects, rowCount: body.length };
}
