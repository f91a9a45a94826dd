import { createRng, type Rng } from "../../../src/lib/prng.ts";
import { DESK_OWNER, WORKS_OWNER } from "./case-changes.ts";
import { toHelsinkiIso } from "./helsinki-time.ts";
import { mintHelsinkiId } from "./ids.ts";
import { type PlantedPersonalData, plantContactSentence, syntheticPerson } from "./personal-data.ts";
import { findService } from "./services.ts";
import type { WireRecord, WireTask } from "./store.ts";
import {
  AGENCY_BY_CODE,
  DESK_REPLIES,
  DISTRICTS,
  FEEDBACK_TEMPLATES,
  type FeedbackTemplate,
  FIELD_AGENCY,
  HELSINKI_BOUNDS,
} from "./synthetic-texts.ts";

/**
 * Synthetic Helsinki feedback cases, deterministic from a seed. Shapes follow the 1,380 real
 * requests of 2014–2016 (service mix, photo counts, task histories, English `service_name` or
 * `""`, a code missing from services.json, `zip_code`), while the texts are the simulator's own.
 * The `detailed_status` mix is skewed towards cases handed to field work compared with the real
 * statistics, because the sandbox exists to exercise those hand-offs.
 */

export interface GenerateCasesOptions {
  /** Seed for a fresh generator; ignored when `rng` is given. Default 1. */
  seed?: number;
  /** Draw from this generator instead (the simulator passes its own stream). */
  rng?: Rng;
  /** `updated_datetime` is spread over [from, to). Default: the 30 days before `now`. */
  from?: Date | number;
  to?: Date | number;
  /** Default `Date.now()`. */
  now?: number;
  /** Share of cases with a name, e-mail, phone and personal identity code inside the description. Default 0.2. */
  personalDataFraction?: number;
  /** Share of cases served with reporter fields (`first_name`, `last_name`, `email`, `phone`). Default 0.15. */
  reporterFraction?: number;
  /** Relative weights of `detailed_status` values for field-work services. */
  fieldStatusWeights?: readonly (readonly [string, number])[];
}

export interface GeneratedCase {
  record: WireRecord;
  plantedPersonalData: PlantedPersonalData | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Weights from the real service mix (171 commonest), with the department codes and one unlisted code added. */
const SERVICE_WEIGHTS: readonly (readonly [string, number])[] = [
  ["171", 29],
  ["180", 20],
  ["198", 17],
  ["172", 10],
  ["246", 9],
  ["199", 9],
  ["174", 8],
  ["176", 4],
  ["211", 3],
  ["234", 2],
  ["178", 2],
  ["2805", 1],
  ["2806", 1],
  ["2807", 1],
  ["2808", 1],
  ["2809", 1],
];

export const DEFAULT_FIELD_STATUS_WEIGHTS: readonly (readonly [string, number])[] = [
  ["PROCESSED", 20],
  ["PROCESSED,PUBLIC_WORKS_NEW", 25],
  ["IN_PROCESS", 10],
  ["IN_PROCESS,PUBLIC_WORKS_NEW", 5],
  ["PROCESSED,PUBLIC_WORKS_IN_PROGRESS", 10],
  ["PROCESSED,PUBLIC_WORKS_COMPLETED", 15],
  ["PROCESSED,PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION", 7],
  ["PROCESSED,PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER", 5],
  ["PROCESSED,PUBLIC_WORKS_INTERRUPTED", 2],
  ["IN_PROCESS,PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION", 1],
];
const DEPARTMENT_STATUS_WEIGHTS: readonly (readonly [string, number])[] = [
  ["PROCESSED", 7],
  ["IN_PROCESS", 3],
];
const PHOTO_COUNT_WEIGHTS: readonly (readonly [number, number])[] = [
  [0, 55],
  [1, 40],
  [2, 3],
  [3, 2],
];
const ATTACHMENT_BASE = "https://attachments.open311-sim.example/palautews/attachment";
const SERVICE_MAP_TYPE = "http://www.hel.fi/servicemap/v2";

function toMs(value: Date | number): number {
  return value instanceof Date ? value.getTime() : value;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function round7(value: number): number {
  return Math.round(value * 1e7) / 1e7;
}

/** Helsinki showed a missing title as the description cut to 27 characters plus "...". */
export function titleFromDescription(description: string): string {
  return description.length > 27 ? `${description.slice(0, 27)}...` : description;
}

function buildTasks(rng: Rng, detailedStatus: string, agency: string, requestedMs: number, updatedMs: number): WireTask[] {
  const [desk, works] = detailedStatus.split(",");
  const owner = agency === FIELD_AGENCY ? DESK_OWNER : agency;
  const steps: Array<[type: string, state: string, owner: string]> = [];
  if (rng.chance(0.3)) steps.push(["assigned", "re_assigned", "Kaupunginkanslia"]);
  const stillOpen = desk === "IN_PROCESS" && works === undefined;
  steps.push(["assigned", stillOpen ? "open" : "re_assigned", owner]);
  if (!stillOpen) steps.push(["wait_for_answer", "completed", owner]);
  if (rng.chance(0.15)) steps.push(["wait_for_comment", "completed", owner]);
  if (works !== undefined) {
    steps.push(["moved_to_other_system", "completed", DESK_OWNER]);
    if (works !== "PUBLIC_WORKS_NEW" && rng.chance(0.3)) steps.push(["informed", "closed", WORKS_OWNER]);
  } else if (desk === "PROCESSED" && rng.chance(0.4)) {
    steps.push(["informed", "closed", owner]);
  }
  const span = updatedMs - requestedMs;
  const times = steps.map((_, index) => requestedMs + Math.floor((span * index) / steps.length));
  return steps.map(([type, state, taskOwner], index) => ({
    task_created: toHelsinkiIso(times[index] ?? requestedMs),
    task_modified: toHelsinkiIso(times[index + 1] ?? updatedMs),
    owner_name: taskOwner,
    task_type: type,
    task_state: state,
  }));
}

function generateOne(rng: Rng, startMs: number, endMs: number, options: GenerateCasesOptions): GeneratedCase {
  const code = rng.weighted(SERVICE_WEIGHTS);
  const service = findService(code);
  const fieldWork = service?.fieldWork ?? true;
  const template: FeedbackTemplate = rng.pick(FEEDBACK_TEMPLATES[code] ?? FEEDBACK_TEMPLATES["180"] ?? []);
  const district = rng.pick(DISTRICTS);
  const street = rng.pick(district.streets);
  const streetAddress = `${street} ${rng.int(1, 80)}`;

  let description = template.text.replaceAll("{addr}", streetAddress);
  let inDescription: PlantedPersonalData["inDescription"] = null;
  if (rng.chance(options.personalDataFraction ?? 0.2)) {
    const { sentence, planted } = plantContactSentence(rng);
    description = `${description}\n\n${sentence}`;
    inDescription = planted;
  }
  const reporter = rng.chance(options.reporterFraction ?? 0.15) ? syntheticPerson(rng) : null;

  const detailedStatus = rng.weighted(
    fieldWork ? (options.fieldStatusWeights ?? DEFAULT_FIELD_STATUS_WEIGHTS) : DEPARTMENT_STATUS_WEIGHTS,
  );
  const desk = detailedStatus.split(",")[0];
  const agency = AGENCY_BY_CODE[code] ?? FIELD_AGENCY;

  const updatedMs = Math.floor(startMs + rng.next() * (endMs - startMs));
  const requestedMs = updatedMs - rng.int(10 * 60 * 1000, desk === "IN_PROCESS" ? 2 * DAY_MS : 14 * DAY_MS);

  const photoCount = rng.weighted(PHOTO_COUNT_WEIGHTS);
  const mediaUrls = Array.from({ length: photoCount }, () => `${ATTACHMENT_BASE}/${mintHelsinkiId(rng)}.jpg`);

  const lat = round7(clamp(district.lat + (rng.next() - 0.5) * 0.012, HELSINKI_BOUNDS.minLat, HELSINKI_BOUNDS.maxLat));
  const long = round7(clamp(district.long + (rng.next() - 0.5) * 0.024, HELSINKI_BOUNDS.minLong, HELSINKI_BOUNDS.maxLong));

  const statusNotes =
    desk === "IN_PROCESS" && !detailedStatus.includes(",")
      ? ""
      : rng.pick(detailedStatus.includes("PUBLIC_WORKS_") ? DESK_REPLIES.forwarded : DESK_REPLIES.answered);
  // Helsinki left service_name empty for codes it had no English name for, and now and then for others.
  const serviceName = service === undefined || rng.chance(0.05) ? "" : service.nameEn;

  const record: WireRecord = {
    service_request_id: mintHelsinkiId(rng),
    status: desk === "PROCESSED" ? "closed" : "open",
    status_notes: statusNotes,
    service_code: code,
    service_name: serviceName,
    description,
    agency_responsible: agency,
    service_notice: "",
    requested_datetime: toHelsinkiIso(requestedMs),
    updated_datetime: toHelsinkiIso(updatedMs),
    address: `${streetAddress}, ${district.zip} Helsinki, Suomi`,
    lat,
    long,
    media_url: mediaUrls[0] ?? "",
  };
  if (rng.chance(0.5)) record.zip_code = district.zip;
  if (reporter !== null) {
    record.first_name = reporter.firstName;
    record.last_name = reporter.lastName;
    record.email = reporter.email;
    record.phone = reporter.phone;
  }
  record.extended_attributes = {
    title: rng.chance(0.25) ? titleFromDescription(description) : template.title,
    detailed_status: detailedStatus,
    ...(mediaUrls.length > 0 ? { media_urls: mediaUrls } : {}),
    ...(code === "211" && rng.chance(0.3)
      ? { service_object_id: String(rng.int(1000, 60000)), service_object_type: SERVICE_MAP_TYPE }
      : {}),
    tasks: buildTasks(rng, detailedStatus, agency, requestedMs, updatedMs),
  };
  const plantedPersonalData = inDescription !== null || reporter !== null ? { inDescription, reporter } : null;
  return { record, plantedPersonalData };
}

/**
 * Generates `n` synthetic cases in Helsinki's wire shape (with `extended_attributes`), their
 * `updated_datetime` spread over [from, to). The same seed (or the same generator state) gives
 * the same cases. Each case says which synthetic personal data was planted in it.
 */
export function generateCases(n: number, options: GenerateCasesOptions = {}): GeneratedCase[] {
  const rng = options.rng ?? createRng(options.seed ?? 1);
  const now = options.now ?? Date.now();
  const endMs = options.to !== undefined ? toMs(options.to) : now;
  const startMs = options.from !== undefined ? toMs(options.from) : endMs - 30 * DAY_MS;
  if (!(startMs < endMs)) throw new RangeError("generateCases: `from` must be before `to`");
  return Array.from({ length: n }, () => generateOne(rng, startMs, endMs, options));
}
