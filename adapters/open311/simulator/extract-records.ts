/**
 * Finding GeoReport v2 records in a JSON document: a list response (array), a single record,
 * or an object whose values hold record arrays (like `helsinki-doc-examples.json`, where the
 * documented responses sit under descriptive keys). Service lists and POST answers are not
 * records: only arrays whose every element has both `service_request_id` and `service_code`
 * count when searching an object's values.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function looksLikeRecord(value: unknown): boolean {
  return isObject(value) && "service_request_id" in value && "service_code" in value;
}

/** Candidate records in document order; the caller still validates each one. */
export function extractWireRecords(json: unknown): unknown[] {
  if (Array.isArray(json)) return json;
  if (!isObject(json)) return [];
  if ("service_request_id" in json) return [json];
  const found: unknown[] = [];
  for (const value of Object.values(json)) {
    if (Array.isArray(value) && value.length > 0 && value.every(looksLikeRecord)) found.push(...value);
  }
  return found;
}
