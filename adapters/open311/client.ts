import createClient from "openapi-fetch";
import { SiltaError } from "../../src/domain/errors.ts";
import { failureFromFetchError, failureFromResponse } from "../../src/lib/http-failure.ts";
import type { CaseRecord, CaseStatusUpdate, CaseSystem } from "../../src/ports/case-system.ts";
import type { HeaderMap } from "../../src/ports/work-order-system.ts";
import type { paths } from "./openapi.d.ts";
import { type CaseListReject, parseCaseList } from "./parse.ts";
import { type TruncatedWindow, walkUpdateWindows } from "./poll-windows.ts";
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
  /** Longest `updated_after`…`updated_before` span per call. Default (and Helsinki's limit) 90 days. */
  maxWindowMs?: number;
  /** Rows at which a list answer may be incomplete. Default (Helsinki) 200. */
  cap?: number;
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
const DEFAULTS = { timeoutMs: 15_000, maxWindowMs: 90 * DAY_MS, cap: 200, minWindowMs: 1000 } as const;

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

/** The text of a GeoReport error body (`[{code, description}]`), or of whatever else came back. */
export function describeErrorBody(body: unknown): string {
  if (Array.isArray(body)) {
    return body
      .map((item) =>
        typeof item === "object" && item !== null && "description" in item ? String(item.description) : JSON.stringify(item),
      )
      .join("; ");
  }
  if (typeof body === "object" && body !== null) {
    // 6Aika's server answers a bad key with an object body.
    for (const key of ["description", "detail", "message", "error"]) {
      const value = (body as Record<string, unknown>)[key];
      if (typeof value === "string") return value;
    }
    return JSON.stringify(body);
  }
  return typeof body === "string" ? body : "";
}

/** A list query's own filters; every list call adds `extensions` and the locale. */
type RequestsQuery = Omit<NonNullable<paths["/requests.json"]["get"]["parameters"]["query"]>, "extensions" | "locale">;

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
  return failureFromResponse(
    answer.response.status,
    answer.response.headers,
    what,
    describeErrorBody(answer.error),
    "case_system",
  );
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
  const maxWindowMs = options.maxWindowMs ?? DEFAULTS.maxWindowMs;
  const cap = options.cap ?? DEFAULTS.cap;
  const minWindowMs = options.minWindowMs ?? DEFAULTS.minWindowMs;
  if (maxWindowMs - WIDENING_MS < minWindowMs) {
    throw new SiltaError("config_invalid", `maxWindowMs must exceed minWindowMs by more than ${WIDENING_MS} ms`);
  }
  // Call globalThis.fetch at call time, not creation time, so msw (and any later patch) sees the calls.
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: (request) => globalThis.fetch(request) });
  const locale = options.locale !== undefined ? { locale: options.locale } : {};
  const pushSecrets = options.pushSecrets ?? [];

  /** One `GET requests.json`: refused or unreadable answers throw, unreadable rows go to `onRejectedRecord`. */
  async function readList(what: string, query: RequestsQuery) {
    const answer = await send(what, () =>
      client.GET("/requests.json", {
        params: { query: { ...query, extensions: "true", ...locale } },
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
    if (!answer.response.ok) throw failure(what, answer);
    const list = parseCaseList(answer.data);
    if (!list.ok) throw new SiltaError("case_system_unavailable", `${what}: ${list.reason}`);
    for (const reject of list.rejects) options.onRejectedRecord?.(reject);
    return { records: list.records, rowCount: list.rowCount };
  }

  function listWindow(after: Date, before: Date, only: { status?: string; serviceCode?: string } = {}) {
    return readList("Open311 GET requests.json", {
      updated_after: formatQueryTime(Math.floor((after.getTime() - EDGE_OVERLAP_MS) / SECOND_MS) * SECOND_MS),
      updated_before: formatQueryTime(Math.ceil(before.getTime() / SECOND_MS) * SECOND_MS),
      ...(only.status ? { status: only.status } : {}),
      ...(only.serviceCode ? { service_code: only.serviceCode } : {}),
    });
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
    async listChangedCases(updatedAfter, updatedBefore, onPage) {
      const result = await walkUpdateWindows<CaseRecord>({
        from: updatedAfter,
        to: updatedBefore,
        maxWindowMs: maxWindowMs - WIDENING_MS,
        minWindowMs,
        cap,
        fetchWindow: listWindow,
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
        for (const status of ["open", "closed"]) {
          const part = await listWindow(window.after, window.before, { status });
          let found = part.records;
          if (part.rowCount >= cap) {
            codes ??= await listServiceCodes();
            // Helsinki's cases carry codes its services.json does not list: add those seen.
            const sliceCodes = new Set([...codes, ...part.records.map((record) => record.serviceCode)]);
            found = [];
            for (const serviceCode of sliceCodes) {
              const slice = await listWindow(window.after, window.before, { status, serviceCode });
              if (slice.rowCount >= cap) stillCapped = true;
              found.push(...slice.records);
            }
          }
          for (const record of found) if (!byId.has(record.serviceRequestId)) byId.set(record.serviceRequestId, record);
        }
        if (stillCapped) options.onTruncatedWindow?.(window);
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
      if (record !== undefined) return record;
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
