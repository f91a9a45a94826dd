import { DUPLICATE_EDGE_MS } from "./knobs.ts";
import { commaList } from "./sim-context.ts";
import { type SimulatorStore, type StoredCase, timeOf } from "./store.ts";

/**
 * Which published requests a `GET requests.json` answers, Helsinki style:
 * - `service_request_id` (comma list) overrides every other filter;
 * - `updated_after`/`updated_before` bound `updated_datetime`, both **exclusive** (as the words
 *   say; a client must not assume an edge is included);
 * - `start_date`/`end_date` bound `requested_datetime`, inclusive; without any date filter the
 *   last 90 days of `requested_datetime` are answered;
 * - a date span over the limit (90 days) is refused with 400 rather than silently cut, so that a
 *   client exceeding it fails loudly in tests;
 * - rows are sorted by `updated_datetime` (then id) and cut at the cap (200), with no paging.
 * `lat`/`long`/`radius` and `service_object_*` filters are not simulated (they are ignored).
 * Other profiles page instead of cutting (`page`), may sort newest first (`order`), and a list
 * read with the API key also holds unpublished cases (`includeUnpublished`).
 */

export interface ListLimits {
  /** Rows per answer when not paged (Infinity: no cap). */
  cap: number;
  maxWindowMs: number;
  /** Serve rows near window edges in both neighbouring windows. */
  duplicateAcrossWindows: boolean;
  /** Row order by `updated_datetime` (ties by id). Default oldest first, as Helsinki. */
  order?: "newest_first" | "oldest_first";
  /** Serve this page (1-based) of `size` rows instead of cutting at `cap`. */
  page?: { number: number; size: number };
  /** Also list cases not (yet) published: a read with the API key. */
  includeUnpublished?: boolean;
}

export type ListSelection =
  | {
      ok: true;
      rows: StoredCase[];
      duplicateRows: number;
      /** Rows matching the query before the cap or page cut. */
      total: number;
    }
  | { ok: false; description: string };

type Span = { after: number; before: number } | null;

function parseDate(query: Record<string, string>, name: string): number | undefined | string {
  const value = query[name];
  if (value === undefined || value.trim() === "") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? `${name} is not a valid ISO 8601 datetime` : ms;
}

function span(
  query: Record<string, string>,
  lowName: string,
  highName: string,
  maxWindowMs: number,
): { ok: true; span: Span } | { ok: false; description: string } {
  const low = parseDate(query, lowName);
  const high = parseDate(query, highName);
  if (typeof low === "string") return { ok: false, description: low };
  if (typeof high === "string") return { ok: false, description: high };
  if (low === undefined && high === undefined) return { ok: true, span: null };
  const after = low ?? (high as number) - maxWindowMs;
  const before = high ?? after + maxWindowMs;
  if (before < after) return { ok: false, description: `${highName} is before ${lowName}` };
  if (before - after > maxWindowMs) {
    return { ok: false, description: `${lowName}…${highName} may span at most ${maxWindowMs / 86_400_000} days` };
  }
  return { ok: true, span: { after, before } };
}

interface ParsedTimes {
  updatedRaw: unknown;
  updated: number | null;
  requestedRaw: unknown;
  requested: number | null;
}

/**
 * A list call compares every case the simulator holds; parsing two dates per case per call (and
 * more in the sort) cost 77-82 ms a call at 100,000 cases (55-65 ms with this cache), where the
 * simulator competes with Silta for the same two cores. Times are parsed once per value: keyed by
 * the record and checked against the string, so a time changed in place is parsed again.
 */
const parsedTimes = new WeakMap<StoredCase["record"], ParsedTimes>();
/** Differs from every stored value, so a new entry is parsed on first use. */
const UNPARSED = Symbol("unparsed");

function timesOf(stored: StoredCase): ParsedTimes {
  const record = stored.record;
  let times = parsedTimes.get(record);
  if (times === undefined) {
    times = { updatedRaw: UNPARSED, updated: null, requestedRaw: UNPARSED, requested: null };
    parsedTimes.set(record, times);
  }
  if (times.updatedRaw !== record.updated_datetime) {
    times.updatedRaw = record.updated_datetime;
    times.updated = timeOf(record.updated_datetime);
  }
  if (times.requestedRaw !== record.requested_datetime) {
    times.requestedRaw = record.requested_datetime;
    times.requested = timeOf(record.requested_datetime);
  }
  return times;
}

function byUpdated(a: StoredCase, b: StoredCase): number {
  const difference = (timesOf(a).updated ?? 0) - (timesOf(b).updated ?? 0);
  if (difference !== 0) return difference;
  return String(a.record.service_request_id) < String(b.record.service_request_id) ? -1 : 1;
}

function newestFirst(a: StoredCase, b: StoredCase): number {
  return byUpdated(b, a);
}

/** The rows of the answer: the requested page, or the first `cap` rows. */
function cut(rows: StoredCase[], limits: ListLimits): StoredCase[] {
  if (limits.page !== undefined) {
    const start = (limits.page.number - 1) * limits.page.size;
    return rows.slice(start, start + limits.page.size);
  }
  return Number.isFinite(limits.cap) ? rows.slice(0, limits.cap) : rows;
}

/** Selects the rows of a list answer, or the reason the query is refused (HTTP 400). */
export function selectRequests(
  store: SimulatorStore,
  query: Record<string, string>,
  nowMs: number,
  limits: ListLimits,
): ListSelection {
  const published = (stored: StoredCase | undefined): stored is StoredCase =>
    stored !== undefined && (stored.publishAt === null || limits.includeUnpublished === true);
  const order = limits.order === "newest_first" ? newestFirst : byUpdated;
  const ids = commaList(query.service_request_id);
  if (ids.length > 0) {
    const rows = ids.map((id) => store.cases.get(id)).filter(published);
    return { ok: true, rows: cut(rows.sort(order), limits), duplicateRows: 0, total: rows.length };
  }

  const codes = new Set(commaList(query.service_code));
  const statuses = new Set(commaList(query.status).map((status) => status.toLowerCase()));
  for (const status of statuses) {
    if (status !== "open" && status !== "closed") return { ok: false, description: "status must be open, closed or both" };
  }
  const updated = span(query, "updated_after", "updated_before", limits.maxWindowMs);
  if (!updated.ok) return updated;
  const requested = span(query, "start_date", "end_date", limits.maxWindowMs);
  if (!requested.ok) return requested;
  const requestedSpan = requested.span ?? (updated.span === null ? { after: nowMs - limits.maxWindowMs, before: nowMs } : null);
  const edge = limits.duplicateAcrossWindows ? DUPLICATE_EDGE_MS : 0;

  const rows: StoredCase[] = [];
  const outsideWindow = new Set<StoredCase>();
  for (const stored of store.cases.values()) {
    if (!published(stored)) continue;
    const record = stored.record;
    const times = timesOf(stored);
    if (codes.size > 0 && !codes.has(String(record.service_code ?? ""))) continue;
    if (statuses.size > 0 && !statuses.has(String(record.status ?? "").toLowerCase())) continue;
    if (updated.span !== null) {
      const at = times.updated;
      if (at === null || at <= updated.span.after - edge || at >= updated.span.before + edge) continue;
      if (at <= updated.span.after || at >= updated.span.before) outsideWindow.add(stored);
    }
    if (requestedSpan !== null) {
      const at = times.requested;
      if (at === null || at < requestedSpan.after || at > requestedSpan.before) continue;
    }
    rows.push(stored);
  }
  const served = cut(rows.sort(order), limits);
  return {
    ok: true,
    rows: served,
    duplicateRows: served.filter((row) => outsideWindow.has(row)).length,
    total: rows.length,
  };
}
