import type { Open311UpdateStatus } from "../../../src/ports/case-system.ts";
import type { components } from "../openapi.d.ts";
import { toHelsinkiIso } from "./helsinki-time.ts";
import type { PlantedPersonalData } from "./personal-data.ts";

/** A request in the wire shape the simulator serves (with `extended_attributes`). */
export type WireRecord = components["schemas"]["ServiceRequest"];
export type WireExtendedAttributes = components["schemas"]["ExtendedAttributes"];
export type WireTask = components["schemas"]["Task"];

export interface StoredCase {
  /** The request as served with `extensions=true`, before any knob changes its form. */
  record: WireRecord;
  /**
   * When moderation ends (epoch ms); null once published; `NEVER_PUBLISHED` for a case that is
   * never published (visible by id and in lists read with the API key only).
   */
  publishAt: number | null;
  /** How the case entered the simulator. */
  origin: "posted" | "added" | "generated";
  /**
   * Synthetic personal data the generator planted in this case, so that checkers can prove it
   * never leaves Silta where it must not. Null for cases without any.
   */
  plantedPersonalData: PlantedPersonalData | null;
}

/** A service request update as received (mySociety's fields) plus when it arrived. */
export interface StoredUpdate {
  update_id: string;
  service_request_id: string;
  status: Open311UpdateStatus;
  /** The sender's time of the update. */
  updated_datetime: string;
  description: string;
  media_url: string | null;
  external_status_code: string | null;
  /** When the simulator applied it (Helsinki local time with offset). */
  received_datetime: string;
}

export interface SimulatorStats {
  open311Calls: number;
  faultsInjected: number;
  /** Rows served only because `duplicateAcrossWindows` widened a window. */
  duplicateRowsServed: number;
}

/** `publishAt` of a case that is never published. */
export const NEVER_PUBLISHED = Number.POSITIVE_INFINITY;

/** In-memory state of one simulator. Maps are keyed by `service_request_id` and `update_id`. */
export interface SimulatorStore {
  cases: Map<string, StoredCase>;
  updates: Map<string, StoredUpdate>;
  /** Ids of cases still in moderation, so publishing does not scan every case on each call. */
  moderation: Set<string>;
  stats: SimulatorStats;
}

/** An empty store with zeroed counters. */
export function createSimulatorStore(): SimulatorStore {
  return {
    cases: new Map(),
    updates: new Map(),
    moderation: new Set(),
    stats: { open311Calls: 0, faultsInjected: 0, duplicateRowsServed: 0 },
  };
}

/**
 * Publishes every case whose moderation delay has passed. Publishing moves `updated_datetime` to
 * the moment of publication: a poller that already walked past the creation time still sees the
 * case appear in a later window, as it would when the city's moderator touches the request.
 * With `keepsUpdatedTime` the time stays where it was (a late publication a poller can miss).
 * Never-published cases are not in `moderation` and stay unpublished.
 */
export function publishDueCases(store: SimulatorStore, nowMs: number, options: { keepsUpdatedTime?: boolean } = {}): void {
  for (const id of store.moderation) {
    const stored = store.cases.get(id);
    if (stored === undefined || stored.publishAt === null || stored.publishAt === NEVER_PUBLISHED) {
      store.moderation.delete(id);
      continue;
    }
    if (nowMs < stored.publishAt) continue;
    if (options.keepsUpdatedTime !== true) stored.record.updated_datetime = toHelsinkiIso(stored.publishAt);
    stored.publishAt = null;
    store.moderation.delete(id);
  }
}

/** Epoch ms of a stored timestamp, or null when absent or unreadable. */
export function timeOf(value: unknown): number | null {
  if (typeof value !== "string" || value === "") return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
