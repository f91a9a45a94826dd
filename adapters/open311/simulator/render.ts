import type { StoredCase, WireRecord } from "./store.ts";

export interface RenderOptions {
  extensions: boolean;
  latLongAsStrings: boolean;
  /** A plain GeoReport v2 server (`closedMeans: "resolved"`): no invented `detailed_status`. */
  plain?: boolean;
}

function coordinateAsString(value: unknown): unknown {
  return typeof value === "number" ? String(value) : value;
}

/** A published case as served: `extended_attributes` only with `extensions=true`. */
export function renderCase(stored: StoredCase, options: RenderOptions): WireRecord {
  const record = structuredClone(stored.record);
  if (!options.extensions) delete record.extended_attributes;
  if (options.latLongAsStrings) {
    record.lat = coordinateAsString(record.lat) as WireRecord["lat"];
    record.long = coordinateAsString(record.long) as WireRecord["long"];
  }
  return record;
}

/**
 * A case still in moderation, as `GET requests/{id}` shows it: "part of its data". The text,
 * location, photos and reporter stay hidden until a moderator publishes the request.
 */
export function renderModeratedCase(stored: StoredCase, options: RenderOptions): WireRecord {
  const source = stored.record;
  const record: WireRecord = {
    service_request_id: source.service_request_id,
    status: source.status ?? "open",
    service_code: source.service_code ?? null,
    service_name: source.service_name ?? "",
    requested_datetime: source.requested_datetime ?? null,
    updated_datetime: source.updated_datetime ?? null,
  };
  if (options.extensions && options.plain !== true) {
    record.extended_attributes = { detailed_status: source.extended_attributes?.detailed_status ?? "IN_PROCESS" };
  }
  return record;
}
