import createClient from "openapi-fetch";
import { SiltaError } from "../../src/kernel/errors.ts";
import { shortFailureReason } from "../../src/lib/failure-reason.ts";
import { canonicalJson, sha256Hex } from "../../src/lib/hash.ts";
import { failureFromAnswer, failureFromFetchError } from "../../src/lib/http-failure.ts";
import type {
  CaseRecord,
  CaseStatusUpdate,
  CaseSystem,
  ListReport,
  RejectedCaseRow,
  WriteBackProbe,
} from "../../src/ports/case-system.ts";
import { SOURCE_PROFILES, type SourceProfile } from "../../src/ports/source-profile.ts";
import type { HeaderMap } from "../../src/ports/work-order-system.ts";
import type { paths } from "./openapi.d.ts";
import { hasPagingSignals, readPagingSignals, withPage } from "./paging.ts";
import { type CaseListReject, parseCaseList } from "./parse.ts";
import { createCaseParseMemo } from "./parse-memo.ts";
import { type CapKnowledge, type TruncatedWindow, updatedMs, walkUpdateWindows } from "./poll-windows.ts";
import { readPushedCases } from "./push.ts";

/**
 * The CaseSystem port over Open311 GeoReport v2 with Helsinki's extensions (`extensions=true`,
 * `updated_after`/`updated_before`) and mySociety's service request updates for write-back.
 * Runs on Node and on Cloudflare Workers: no `node:` imports here.
 */

export interface Open311CaseSystemOptions {
  /** Base URL up to the version, e.g. `https://asiointi.hel.fi/palautews/rest/v1`. */
  baseUrl: string;
  /** Needed only for writing (service request updates). */
  apiKey?: string;
  /** `fi`, `fi_FI`, `en`, … sent as `locale` on reads when set. */
  locale?: string;
  /** Per-call timeout. Default 15 s. */
  timeoutMs?: number;
  /** What this server does (paging, cap, write-back, meaning of `closed`). Default Helsinki's. */
  profile?: SourceProfile;
  /** List reads carry `api_key` so that they include unpublished cases (the `keyed_list` intake). */
  keyedLists?: boolean;
  /** Longest `updated_after`…`updated_before` span per call. Default the profile's (Helsinki: 90 days). */
  maxWindowMs?: number;
  /** Rows at which an unpaged list answer may be incomplete. Default the profile's (Helsinki: 200; generic: learnt). */
  cap?: number;
  /** Told once when the row cap of a server whose cap was unknown has been learnt. */
  onCapLearnt?: (cap: number) => void;
  /** A capped window this short is not split further. Default 1 s (Helsinki's timestamp resolution). */
  minWindowMs?: number;
  /**
   * Called for each listed row that cannot be read as a case, so it can be quarantined.
   * The reject's `raw` may hold personal data: store it, never log it.
   */
  onRejectedRecord?: (reject: CaseListReject) => void;
  /**
   * Secrets the city's system signs pushed cases with (Standard Webhooks, `whsec_…`; several
   * during a rotation). None: push intake is off and `readPush` is absent.
   */
  pushSecrets?: readonly string[];
  /** Called for each window still capped at `minWindowMs` (rows possibly held back by the server). */
  onTruncatedWindow?: (window: TruncatedWindow) => void;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULTS = { timeoutMs: 15_000, minWindowMs: 1000 } as const;
/**
 * While a server's cap is unknown, an unpaged answer this long is checked by reading its window
 * in halves (poll-windows.ts, `CapKnowledge`). Low enough to catch any cap a server is likely to
 * have, and each check raises the threshold, so a server without a cap is checked a few times.
 */
const FIRST_SUSPECT_ROWS = 50;
/** A list read that has not ended after this many pages is a server paging in circles. */
const MAX_PAGES = 10_000;

/**
 * Each window is asked from one second before its start, and both ends are rounded outwards to
 * whole seconds: servers differ on whether `updated_after` is inclusive, and a request updated
 * exactly on a window edge must not fall between two windows. The overlap costs only duplicate
 * rows, which the walk removes. The rounding widens a call by under 3 s, which is taken off the
 * window length so that no call exceeds `maxWindowMs`.
 */
const EDGE_OVERLAP_MS = 1000;
const WIDENING_MS = 3000;
const SECOND_MS = 1000;

/** ISO 8601 in UTC, without milliseconds when there are none (a Java backend may reject them). */
function formatQueryTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

/** A row that could not be read, as the port reports it: the raw row reduced to its hash. */
function toRejectedRow(reject: CaseListReject): RejectedCaseRow {
  return { serviceRequestId: reject.serviceRequestId, reason: reject.reason, rowHash: sha256Hex(canonicalJson(reject.raw)) };
}

interface RawAnswer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** Runs one HTTP call and turns a thrown error (network, timeout, unreadable JSON) into a SiltaError. */
async function send(what: string, run: () => Promise<RawAnswer>): Promise<RawAnswer> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SyntaxError) {
      // A 2xx whose body is not JSON: typically a proxy or maintenance page in front of the API.
      throw new SiltaError("case_system_unavailable", `${what} answered a body that is not JSON`, { cause: error });
    }
    throw failureFromFetchError(error, what, "case_system");
  }
}

function failure(what: string, answer: RawAnswer): SiltaError {
  return failureFromAnswer(answer.response.status, answer.response.headers, what, answer.error, "case_system");
}

/**
 * Ids per `service_request_id` list: half the 200-row cap, and a URL of about 2 kB with
 * Helsinki's 20-character ids.
 */
const CASES_PER_LIST = 100;

/**
 * Builds the Open311 CaseSystem. Reading needs no key; `postStatusUpdate` needs `apiKey`.
 * Every call carries its own timeout; every failure is a classified SiltaError (side
 * `case_system`): connection errors, timeouts and 5xx are retryable, 401/403 are `auth`.
 */
export function createOpen311CaseSystem(options: Open311CaseSystemOptions): CaseSystem {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxWindowMs = options.maxWindowMs ?? (options.profile ?? SOURCE_PROFILES.helsinki).maxWindowDays * DAY_MS;
  const cap = options.cap ?? (options.profile ?? SOURCE_PROFILES.helsinki).listCap;
  const minWindowMs = options.minWindowMs ?? DEFAULTS.minWindowMs;
  if (maxWindowMs - WIDENING_MS < minWindowMs) {
    throw new SiltaError("config_invalid", `maxWindowMs must exceed minWindowMs by more than ${WIDENING_MS} ms`);
  }
  // Call globalThis.fetch at call time, not creation time, so msw (and any later patch) sees the calls.
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: (request) => globalThis.fetch(request) });
  const locale = options.locale !== undefined ? { locale: options.locale } : {};
  const pushSecrets = options.pushSecrets ?? [];

  const profile = options.profile ?? SOURCE_PROFILES.helsinki;
  const listsCarryKey = options.keyedLists === true && options.apiKey !== undefined && options.apiKey !== "";
  const capKnowledge: CapKnowledge = {
    cap: cap,
    suspectRows: cap ?? FIRST_SUSPECT_ROWS,
    ...(options.onCapLearnt ? { onLearnt: options.onCapLearnt } : {}),
  };
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const origin = new URL(baseUrl).origin;

  /** List rows read before: a row listed again unchanged is not parsed again (parse-memo.ts). */
  const parseMemo = createCaseParseMemo();
  /** Shaped copies of remembered records, so that an unchanged row stays the same object. */
  const shaped = new WeakMap<CaseRecord, CaseRecord>();
  /** A record as the profile reads it: a server without Helsinki's detailed status has no desk or works state. */
  const shape = (record: CaseRecord): CaseRecord => {
    if (profile.detailedStatus !== "none" || record.detailedStatusRaw === null) return record;
    let copy = shaped.get(record);
    if (!copy) {
      copy = { ...record, deskStatus: null, worksStatus: null, detailedStatusRaw: null };
      shaped.set(record, copy);
    }
    return copy;
  };

  /** One GET of a list page: refused or unreadable answers throw. */
  async function getListPage(what: string, url: string) {
    let response: Response;
    let body: unknown;
    try {
      response = await globalThis.fetch(url, {
        headers: { Accept: "application/json" },
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      try {
        body = text === "" ? null : JSON.parse(text);
      } catch {
        body = text;
        // A 2xx whose body is not JSON: typically a proxy or maintenance page in front of the API.
        if (response.ok) throw new SiltaError("case_system_unavailable", `${what} answered a body that is not JSON`);
      }
    } catch (error) {
      throw failureFromFetchError(error, what, "case_system");
    }
    if (!response.ok) throw failureFromAnswer(response.status, response.headers, what, body, "case_system");
    return { body, headers: response.headers };
  }

  /**
   * One list query, read to its last page: `page`/`page_size` where the profile asks for them, then
   * every next page the server signals (Link rel=next, X-Next-Page-URL, a page count, a total),
   * in whatever order it sorts. Each case is kept once, its latest version; unreadable rows go
   * to `onRejectedRecord` and `report`. A server that answers a page it already answered (it
   * ignores `page`) ends the read. `incomplete`: the server's total promised more than was read.
   */
  async function readList(what: string, query: Record<string, string>, report?: ListReport) {
    const first = new URL(`${baseUrl}/requests.json`);
    for (const [name, value] of Object.entries({ ...query, extensions: "true", ...locale })) first.searchParams.set(name, value);
    if (listsCarryKey && options.apiKey) first.searchParams.set("api_key", options.apiKey);
    if (profile.paging !== "none" && profile.pageSize !== null) first.searchParams.set("page_size", String(profile.pageSize));
    if (profile.paging === "page") first.searchParams.set("page", "1");
    const byId = new Map<string, CaseRecord>();
    let rowCount = 0;
    let paged = false;
    let total: number | null = null;
    let rejected = 0;
    let url = first.toString();
    for (let page = 1; ; page++) {
      const answer = await getListPage(what, url);
      const list = parseCaseList(answer.body, parseMemo.parse);
      if (!list.ok) throw new SiltaError("case_system_unavailable", `${what}: ${list.reason}`);
      let fresh = 0;
      for (const record of list.records) {
        const known = byId.get(record.serviceRequestId);
        if (known === undefined) fresh++;
        if (known === undefined || updatedMs(record) >= updatedMs(known)) byId.set(record.serviceRequestId, record);
      }
      for (const reject of list.rejects) {
        rejected++;
        options.onRejectedRecord?.(reject);
        report?.rejected?.(toRejectedRow(reject));
      }
      rowCount += list.rowCount;
      if (profile.paging === "none") break;
      const signals = readPagingSignals(answer.headers, url);
      if (hasPagingSignals(signals)) paged = true;
      if (signals.totalCount !== null) total = signals.totalCount;
      // An empty page, or one holding only cases already read (a server that ignores `page`), ends the read.
      if (list.rowCount === 0 || (page > 1 && fresh === 0 && list.rejects.length === 0)) break;
      const next =
        signals.next ??
        (signals.pageCount !== null && page < signals.pageCount ? withPage(url, page + 1) : null) ??
        (total !== null && rowCount < total ? withPage(url, page + 1) : null) ??
        (profile.paging === "page" && profile.pageSize !== null && list.rowCount >= profile.pageSize
          ? withPage(url, page + 1)
          : null);
      if (next === null) break;
      if (profile.paging === "page") paged = true;
      // S5: a next-page link may only lead back to the same server.
      if (new URL(next).origin !== origin)
        throw new SiltaError("case_system_rejected", `${what}: the next-page link leads to another host; not followed`);
      if (page >= MAX_PAGES) throw new SiltaError("case_system_unavailable", `${what}: more than ${MAX_PAGES} pages`);
      url = next;
    }
    const records = [...byId.values()].map(shape).sort((a, b) => updatedMs(a) - updatedMs(b));
    const incomplete = total !== null && byId.size + rejected < total;
    return { records, rowCount, paged, incomplete };
  }

  function listWindow(after: Date, before: Date, only: { status?: string; serviceCode?: string } = {}, report?: ListReport) {
    return readList(
      "Open311 GET requests.json",
      {
        updated_after: formatQueryTime(Math.floor((after.getTime() - EDGE_OVERLAP_MS) / SECOND_MS) * SECOND_MS),
        updated_before: formatQueryTime(Math.ceil(before.getTime() / SECOND_MS) * SECOND_MS),
        ...(only.status ? { status: only.status } : {}),
        ...(only.serviceCode ? { service_code: only.serviceCode } : {}),
      },
      report,
    );
  }

  /** The answer may still be cut: paged but short of its total, or unpaged at the cap. */
  function stillCut(part: { rowCount: number; paged: boolean; incomplete: boolean }): boolean {
    return part.paged ? part.incomplete : part.rowCount >= (capKnowledge.cap ?? capKnowledge.suspectRows);
  }

  async function listServiceCodes(): Promise<string[]> {
    const what = "Open311 GET services.json";
    const answer = await send(what, () =>
      client.GET("/services.json", { params: { query: { ...locale } }, signal: AbortSignal.timeout(timeoutMs) }),
    );
    if (!answer.response.ok) throw failure(what, answer);
    const services: unknown = answer.data;
    if (!Array.isArray(services)) throw new SiltaError("case_system_unavailable", `${what}: the answer is not a list`);
    return services.flatMap((service: unknown) => {
      const code = (service as { service_code?: unknown } | null)?.service_code;
      return typeof code === "string" && code !== "" ? [code] : [];
    });
  }

  return {
    async listChangedCases(updatedAfter, updatedBefore, onPage, report, status) {
      const only = status ? { status } : {};
      const result = await walkUpdateWindows<CaseRecord>({
        from: updatedAfter,
        to: updatedBefore,
        maxWindowMs: maxWindowMs - WIDENING_MS,
        minWindowMs,
        cap: capKnowledge,
        fetchWindow: (after, before) => listWindow(after, before, only, report),
        ...(onPage ? { onWindow: onPage } : {}),
      });
      if (result.truncatedWindows.length === 0) return result.records;
      // A window of one second still at the cap cannot be split in time: split it by status, and
      // a part still at the cap by service code. Silta's own write-backs move cases' update times,
      // so a busy second is ordinary, not exotic. What even that cannot reach (one code and status
      // over the cap within a second, or a code neither listed nor seen) is reported, not dropped.
      const byId = new Map(result.records.map((record) => [record.serviceRequestId, record]));
      let codes: string[] | null = null;
      for (const window of result.truncatedWindows) {
        let stillCapped = false;
        for (const partStatus of status ? [status] : ["open", "closed"]) {
          const part = await listWindow(window.after, window.before, { status: partStatus }, report);
          let found = part.records;
          if (stillCut(part)) {
            codes ??= await listServiceCodes();
            // Helsinki's cases carry codes its services.json does not list: add those seen.
            const sliceCodes = new Set([...codes, ...part.records.map((record) => record.serviceCode)]);
            found = [];
            for (const serviceCode of sliceCodes) {
              const slice = await listWindow(window.after, window.before, { status: partStatus, serviceCode }, report);
              if (stillCut(slice)) stillCapped = true;
              found.push(...slice.records);
            }
          }
          for (const record of found) if (!byId.has(record.serviceRequestId)) byId.set(record.serviceRequestId, record);
        }
        if (stillCapped) {
          options.onTruncatedWindow?.(window);
          report?.truncated?.(window);
        }
      }
      const found = [...byId.values()];
      if (!onPage) return found;
      await onPage(found);
      return [];
    },

    async getCase(serviceRequestId: string): Promise<CaseRecord | null> {
      const what = "Open311 GET requests/{id}.json";
      const answer = await send(what, () =>
        client.GET("/requests/{service_request_id}.json", {
          params: { path: { service_request_id: serviceRequestId }, query: { extensions: "true", ...locale } },
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      if (answer.response.status === 404) return null;
      if (!answer.response.ok) throw failure(what, answer);
      const list = parseCaseList(answer.data);
      if (!list.ok) throw new SiltaError("case_system_unavailable", `${what}: ${list.reason}`);
      const [record] = list.records;
      if (record !== undefined) return shape(record);
      const [reject] = list.rejects;
      if (reject === undefined) return null;
      options.onRejectedRecord?.(reject);
      throw new SiltaError("case_system_rejected", `${what} answered a record that cannot be read: ${reject.reason}`, {
        context: { serviceRequestId },
      });
    },

    async getCases(serviceRequestIds: readonly string[]): Promise<CaseRecord[]> {
      const found: CaseRecord[] = [];
      for (let i = 0; i < serviceRequestIds.length; i += CASES_PER_LIST) {
        const ids = serviceRequestIds.slice(i, i + CASES_PER_LIST);
        // A row that cannot be read is left out: the caller asks getCase for it, which says why.
        const list = await readList("Open311 GET requests.json by service_request_id", { service_request_id: ids.join(",") });
        found.push(...list.records);
      }
      return found;
    },

    async probeWriteBack(): Promise<WriteBackProbe> {
      const url = new URL(`${baseUrl}/servicerequestupdates.json`);
      const now = Date.now();
      url.searchParams.set("start_date", formatQueryTime(Math.floor((now - 60_000) / SECOND_MS) * SECOND_MS));
      url.searchParams.set("end_date", formatQueryTime(Math.ceil(now / SECOND_MS) * SECOND_MS));
      if (options.apiKey) url.searchParams.set("api_key", options.apiKey);
      try {
        const response = await globalThis.fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
        const text = await response.text();
        const reason = shortFailureReason({
          status: response.status,
          contentType: response.headers.get("content-type"),
          body: text,
        });
        // The endpoint exists when it answers anything but "no such resource": a 400 or 403 is its own refusal.
        if (response.status === 404 || response.status === 405 || response.status === 501 || response.status === 410)
          return { state: "unavailable", reason };
        if (response.status >= 500) return { state: "unknown", reason };
        return { state: "available", reason };
      } catch (error) {
        return {
          state: "unknown",
          reason: failureFromFetchError(error, "Open311 GET servicerequestupdates.json", "case_system").message,
        };
      }
    },

    async postStatusUpdate(update: CaseStatusUpdate): Promise<{ updateId: string }> {
      const what = "Open311 POST servicerequestupdates.json";
      if (options.apiKey === undefined || options.apiKey === "") {
        throw new SiltaError("case_system_auth_failed", `${what}: no API key configured for writing`);
      }
      const apiKey = options.apiKey;
      const answer = await send(what, () =>
        client.POST("/servicerequestupdates.json", {
          body: {
            api_key: apiKey,
            service_request_id: update.serviceRequestId,
            update_id: update.updateId,
            updated_datetime: update.updatedAt,
            status: update.status,
            description: update.description,
            ...(update.externalStatusCode !== null ? { external_status_code: update.externalStatusCode } : {}),
            ...(update.mediaUrl ? { media_url: update.mediaUrl } : {}),
          },
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          bodySerializer: (body) => new URLSearchParams(body as Record<string, string>).toString(),
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      if (!answer.response.ok) throw failure(what, answer);
      // mySociety answers the server's own id for the update; a server that omits it has still
      // taken the update, and ours identifies it just as well.
      const first: unknown = Array.isArray(answer.data) ? answer.data[0] : undefined;
      const answered = typeof first === "object" && first !== null && "update_id" in first ? first.update_id : undefined;
      const updateId = typeof answered === "string" || typeof answered === "number" ? String(answered) : update.updateId;
      return { updateId };
    },

    ...(pushSecrets.length > 0
      ? { readPush: (headers: HeaderMap, rawBody: string) => readPushedCases(pushSecrets, headers, rawBody) }
      : {}),
  };
}
