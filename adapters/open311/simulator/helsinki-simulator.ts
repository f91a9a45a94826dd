import { Hono } from "hono";
import { createRng } from "../../../src/lib/prng.ts";
import { parseCaseRecord } from "../parse.ts";
import { cancelCaseAtDesk, closeCaseAtDesk, closeCasePlain, reopenCaseAtDesk } from "./case-changes.ts";
import { createCasePusher, type PushStats } from "./case-pusher.ts";
import { type GenerateCasesOptions, type GeneratedCase, generateCases } from "./generate-cases.ts";
import { toHelsinkiIso } from "./helsinki-time.ts";
import { mintHelsinkiId } from "./ids.ts";
import { DEFAULT_KNOBS, knobPatchSchema, type SimKnobPatch, type SimKnobs } from "./knobs.ts";
import type { PlantedPersonalData } from "./personal-data.ts";
import {
  type ClosedMeans,
  DEFAULT_MAX_PAGE_SIZE,
  isSimulatorProfileName,
  SIMULATOR_PROFILES,
  type SimulatorPaging,
  type SimulatorProfileName,
} from "./profiles.ts";
import { renderCase } from "./render.ts";
import { registerRequestRoutes } from "./routes-requests.ts";
import { registerUpdateRoutes } from "./routes-updates.ts";
import { findService, HELSINKI_SERVICES, isFinnishLocale } from "./services.ts";
import { georeportError, JSON_ONLY, type SimContext, splitFormat } from "./sim-context.ts";
import {
  createSimulatorStore,
  NEVER_PUBLISHED,
  publishDueCases,
  type SimulatorStats,
  type StoredCase,
  type StoredUpdate,
  timeOf,
  type WireRecord,
} from "./store.ts";

export {
  type ClosedMeans,
  SIMULATOR_PROFILES,
  type SimulatorPaging,
  type SimulatorProfile,
  type SimulatorProfileName,
} from "./profiles.ts";

/**
 * A Helsinki-flavoured Open311 server in memory (design/helsinki-open311.md §5): GeoReport v2
 * JSON endpoints with Helsinki's extensions and caps, pre-moderation, service request updates,
 * and fault knobs. Runs anywhere Hono runs; `serve.ts` puts it on a Node port.
 *
 * Behaviour profiles (§4) make it act as other GeoReport v2 servers do: `profile: "generic"`
 * pages its lists, has no `servicerequestupdates.json` and serves plain GeoReport v2 where
 * `closed` means resolved. Every profile setting can also be set on its own.
 */

export interface HelsinkiSimulatorOptions {
  /** Seed for ids, generated cases and injected faults. Default 1. */
  seed?: number;
  /** The key POSTs must carry. Default `sim-api-key`. */
  apiKey?: string;
  /** How long a POSTed request stays unpublished (visible by id only). Default 0: published at once. */
  moderationDelayMs?: number;
  /** Clock, for tests that move time. Default `Date.now`. */
  now?: () => number;
  /** Initial fault knobs. */
  knobs?: SimKnobPatch;
  /** Rows per list answer. Default 200, as Helsinki. */
  listCap?: number;
  /** Longest date span of a list call. Default 90 days, as Helsinki. */
  maxWindowDays?: number;
  /** Push mode from the start (see `setPushTarget`). */
  push?: { url: string; secrets: readonly string[] };
  /**
   * Defaults for the settings below. `helsinki` (the default): cap 200, no paging, write-back
   * endpoint present, `closed` means forwarded. `generic`: paging 100 rows newest first, no
   * write-back endpoint, `closed` means resolved. Explicit options override the profile.
   */
  profile?: SimulatorProfileName;
  /**
   * Paged list answers, as the 6Aika reference server: `page` (1-based) and `page_size` (capped
   * at `maxPageSize`, default 500), rows by `updated_datetime`, headers `X-Result-Count`,
   * `X-Page-Count`, `X-Next-Page-URL` and `Link: <…>; rel="next"`. `listCap` does not apply;
   * `service_request_id` lists are not paged. Null: no paging.
   */
  paging?: SimulatorPaging | null;
  /** Whether mySociety's `servicerequestupdates.json` exists; false answers both methods an HTML 404. */
  writeBackEndpoint?: boolean;
  /**
   * `forwarded` (Helsinki): `detailed_status` and tasks say what `closed` means. `resolved`:
   * plain GeoReport v2, generated and posted cases carry no `detailed_status` and no tasks.
   */
  closedMeans?: ClosedMeans;
  /**
   * Share in [0, 1] of generated cases that are never published: visible by id, in lists read
   * with the API key (`GET requests.json?api_key=…`) and in pushes, never in public lists.
   * Default 0. (Helsinki publishes under 10 % of its feedback.)
   */
  unpublishedShare?: number;
  /**
   * Shares in [0, 1] of generated cases planted as records a strict reader chokes on: a NUL
   * character inside the description, or `service_code: ""`. Default none.
   */
  badRecords?: { nulShare?: number; emptyServiceCodeShare?: number };
  /**
   * Share in [0, 1] of generated cases held in moderation and published `moderationDelayMs`
   * later, as Helsinki's moderators do. With the `publishKeepsUpdatedTime` knob such a case
   * appears in a window a public-list poller has already walked past. Default 0.
   */
  latePublishedShare?: number;
}

/** The profile settings in force (after options override the profile's defaults). */
export interface SimulatorSettings {
  profile: SimulatorProfileName;
  listCap: number;
  paging: Required<SimulatorPaging> | null;
  writeBackEndpoint: boolean;
  closedMeans: ClosedMeans;
  unpublishedShare: number;
  badRecords: { nulShare: number; emptyServiceCodeShare: number };
  latePublishedShare: number;
}

export interface SimulatorState {
  cases: number;
  published: number;
  /** Cases in moderation plus never-published ones. */
  unpublished: number;
  /** Cases that are never published (`unpublishedShare`, `neverPublished`). */
  neverPublished: number;
  updates: number;
  profile: SimulatorProfileName;
  settings: SimulatorSettings;
  stats: SimulatorStats;
  knobs: SimKnobs;
  push: PushStats & { targetUrl: string | null };
}

export interface AddCaseOptions {
  /** False keeps the case in moderation (visible by id only) until `moderationDelayMs` has passed. Default true. */
  published?: boolean;
  /** True: the case is never published (visible by id and to keyed lists only). Overrides `published`. */
  neverPublished?: boolean;
  plantedPersonalData?: PlantedPersonalData | null;
}

export interface HelsinkiSimulator {
  app: Hono;
  /** Read access for checkers: cases by id, updates by update_id. Do not mutate. */
  store: {
    readonly cases: ReadonlyMap<string, Readonly<StoredCase>>;
    readonly updates: ReadonlyMap<string, Readonly<StoredUpdate>>;
    readonly stats: Readonly<SimulatorStats>;
  };
  /** The live knobs; assigning a field takes effect on the next call. */
  knobs: SimKnobs;
  apiKey: string;
  /** The profile settings in force. */
  readonly settings: Readonly<SimulatorSettings>;
  /** Validates and applies a partial knob setting; returns the knobs now in force. */
  setKnobs(patch: SimKnobPatch): SimKnobs;
  /**
   * Adds one wire record (any GeoReport v2 shape Silta can read). A record with the id of an
   * existing case replaces it only when it is at least as recent. Throws on a record that is not
   * a case. Returns the id.
   */
  addCase(record: unknown, options?: AddCaseOptions): string;
  /**
   * Stores a wire record as it is, without reading it as a case first: for planting records a
   * strict reader chokes on (a NUL in a text, `service_code: ""`, …). The id is the record's
   * `service_request_id` when it is a non-empty string or a number, else a minted one (written
   * into the record). Replaces any case with that id. Returns the id.
   */
  addRawCase(record: object, options?: AddCaseOptions): string;
  /** Adds many records, skipping (and reporting) those that are not cases. */
  addCases(records: readonly unknown[]): { added: number; rejected: Array<{ index: number; reason: string }> };
  /** Generates synthetic cases from the simulator's seeded stream, adds them, and returns them. */
  generateCases(n: number, options?: Omit<GenerateCasesOptions, "rng" | "seed" | "now">): GeneratedCase[];
  /** The desk closes a case as handled (`closed`, desk part PROCESSED). False when the id is unknown. */
  closeCase(serviceRequestId: string, note?: string): boolean;
  /** The city withdraws a case (`closed`, `detailed_status` REJECTED). False when the id is unknown. */
  cancelCase(serviceRequestId: string, note?: string): boolean;
  /** The desk marks a case as a duplicate of another (`extended_attributes.duplicate_of`). False when either id is unknown. */
  markDuplicate(serviceRequestId: string, parentId: string): boolean;
  /** The desk reopens a closed case (`open` again). False when the id is unknown or the case is not closed. */
  reopenCase(serviceRequestId: string, note?: string): boolean;
  state(): SimulatorState;
  /**
   * Push mode: every case added published, closed or withdrawn is also posted to `url` (Silta's
   * `/intake/open311`), signed with `secrets`. Never-published cases are pushed too (the city's
   * signed push is authoritative and includes them); cases published later by moderation are
   * left to the poll. Null turns pushing off.
   */
  setPushTarget(url: string | null, secrets?: readonly string[]): void;
  /** Waits until every queued push has been answered (or given up). */
  drainPushes(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function share(name: string, value: number | undefined): number {
  const n = value ?? 0;
  if (!(n >= 0 && n <= 1)) throw new RangeError(`${name} must be within [0, 1], got ${value}`);
  return n;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** The profile's defaults with the explicit options laid over them. */
export function resolveSimulatorSettings(options: HelsinkiSimulatorOptions = {}): SimulatorSettings {
  const profile = options.profile ?? "helsinki";
  if (!isSimulatorProfileName(profile)) throw new RangeError(`unknown simulator profile ${String(profile)}`);
  const base = SIMULATOR_PROFILES[profile];
  const paging = options.paging === undefined ? base.paging : options.paging;
  return {
    profile,
    listCap: positiveInteger("listCap", options.listCap ?? base.listCap),
    paging:
      paging === null
        ? null
        : {
            pageSize: positiveInteger("paging.pageSize", paging.pageSize),
            maxPageSize: positiveInteger("paging.maxPageSize", paging.maxPageSize ?? DEFAULT_MAX_PAGE_SIZE),
            order: paging.order,
          },
    writeBackEndpoint: options.writeBackEndpoint ?? base.writeBackEndpoint,
    closedMeans: options.closedMeans ?? base.closedMeans,
    unpublishedShare: share("unpublishedShare", options.unpublishedShare),
    badRecords: {
      nulShare: share("badRecords.nulShare", options.badRecords?.nulShare),
      emptyServiceCodeShare: share("badRecords.emptyServiceCodeShare", options.badRecords?.emptyServiceCodeShare),
    },
    latePublishedShare: share("latePublishedShare", options.latePublishedShare),
  };
}

/** A plain GeoReport v2 record: no `detailed_status`, no tasks; `extended_attributes` only a title, or none. */
function makePlain(record: WireRecord, keepTitle: boolean): void {
  const title = record.extended_attributes?.title;
  if (keepTitle && typeof title === "string" && title !== "") record.extended_attributes = { title };
  else delete record.extended_attributes;
}

/** Puts a NUL character inside the description (after its first word). */
function withNul(description: unknown): string {
  const text = typeof description === "string" && description !== "" ? description : "Kuoppa tiellä";
  const space = text.indexOf(" ");
  return space < 0 ? `${text}\u0000` : `${text.slice(0, space)}\u0000${text.slice(space)}`;
}

/** Builds a Helsinki Open311 simulator with its own in-memory state. */
export function createHelsinkiSimulator(options: HelsinkiSimulatorOptions = {}): HelsinkiSimulator {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const settings = resolveSimulatorSettings(options);
  const store = createSimulatorStore();
  const knobs: SimKnobs = { ...DEFAULT_KNOBS, ...knobPatchSchema.parse(options.knobs ?? {}) };
  // Faults draw from their own stream so that turning a knob does not change the ids minted.
  const faultRng = createRng(seed ^ 0x5bd1e995);
  // So do the profile's choices (never published, bad records, titles of plain records), so
  // that a profile does not change the cases generated.
  const profileRng = createRng(seed ^ 0x27d4eb2f);
  const plain = settings.closedMeans === "resolved";
  const sim: SimContext = {
    store,
    knobs,
    now,
    rng: createRng(seed),
    apiKey: options.apiKey ?? "sim-api-key",
    moderationDelayMs: options.moderationDelayMs ?? 0,
    listCap: settings.listCap,
    maxWindowMs: (options.maxWindowDays ?? 90) * DAY_MS,
    paging: settings.paging,
    writeBackEndpoint: settings.writeBackEndpoint,
    closedMeans: settings.closedMeans,
  };
  const publishDue = () => publishDueCases(store, now(), { keepsUpdatedTime: knobs.publishKeepsUpdatedTime });

  const app = new Hono();
  const pusher = createCasePusher(options.push ?? {});
  // Published and never-published cases are pushed; cases waiting for moderation are not (the
  // poll finds them once published).
  const push = (stored: StoredCase | undefined) => {
    if (stored && (stored.publishAt === null || stored.publishAt === NEVER_PUBLISHED))
      pusher.queue(renderCase(stored, { extensions: true, latLongAsStrings: knobs.latLongAsStrings, plain }));
  };

  app.use("*", async (c, next) => {
    if (c.req.path.startsWith("/__sim/")) return next();
    store.stats.open311Calls += 1;
    if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
    const readDown = knobs.readOutage && c.req.method === "GET";
    if (knobs.outage || readDown || (knobs.errorRate > 0 && faultRng.chance(knobs.errorRate))) {
      store.stats.faultsInjected += 1;
      c.header("Retry-After", "1");
      return georeportError(c, 503, "Service temporarily unavailable");
    }
    publishDue();
    return next();
  });

  app.get("/discovery.json", (c) => {
    const base = new URL(c.req.url).origin;
    return c.json({
      changeset: "2026-01-01T00:00:00+02:00",
      contact: "Silta Helsinki simulator",
      key_service: "Keys are agreed with the simulator's operator (option apiKey).",
      endpoints: [
        {
          specification: "http://wiki.open311.org/GeoReport_v2",
          url: base,
          changeset: "2026-01-01T00:00:00+02:00",
          type: "test",
          formats: ["application/json"],
        },
      ],
    });
  });

  app.get("/services.json", (c) => {
    const finnish = isFinnishLocale(c.req.query("locale"));
    return c.json(
      HELSINKI_SERVICES.map((service) => ({
        service_code: service.code,
        service_name: finnish ? service.nameFi : service.nameEn,
        description: service.descriptionFi,
        metadata: false,
        type: "realtime",
        keywords: service.keywords,
        group: service.groupFi,
      })),
    );
  });

  app.get("/services/:file", (c) => {
    const file = splitFormat(c.req.param("file"));
    if (file?.format === "xml") return georeportError(c, 400, JSON_ONLY);
    if (file === null || file.format !== "json" || findService(file.name) === undefined) {
      return georeportError(c, 404, "Service not found");
    }
    return c.json({ service_code: file.name, attributes: [] });
  });

  registerRequestRoutes(app, sim);
  registerUpdateRoutes(app, sim);

  function setKnobs(patch: SimKnobPatch): SimKnobs {
    Object.assign(knobs, knobPatchSchema.parse(patch));
    return { ...knobs };
  }

  function state(): SimulatorState {
    publishDue();
    let unpublished = 0;
    let neverPublished = 0;
    for (const stored of store.cases.values()) {
      if (stored.publishAt === null) continue;
      unpublished += 1;
      if (stored.publishAt === NEVER_PUBLISHED) neverPublished += 1;
    }
    return {
      cases: store.cases.size,
      published: store.cases.size - unpublished,
      unpublished,
      neverPublished,
      updates: store.updates.size,
      profile: settings.profile,
      settings: structuredClone(settings),
      stats: { ...store.stats },
      knobs: { ...knobs },
      push: { ...pusher.stats, targetUrl: pusher.targetUrl },
    };
  }

  app.get("/__sim/state", (c) => c.json(state()));
  app.get("/__sim/knobs", (c) => c.json(knobs));
  app.post("/__sim/knobs", async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const patch = knobPatchSchema.safeParse(body);
    if (!patch.success) {
      return georeportError(c, 400, `invalid knobs: ${patch.error.issues.map((issue) => issue.message).join("; ")}`);
    }
    return c.json(setKnobs(patch.data));
  });

  app.notFound((c) => (c.req.path.endsWith(".xml") ? georeportError(c, 400, JSON_ONLY) : georeportError(c, 404, "Not found")));
  app.onError((_error, c) => georeportError(c, 500, "Internal simulator error"));

  /** Stores a wire record under `id` (in moderation, never published or published) and pushes it. */
  function put(id: string, wire: WireRecord, addOptions: AddCaseOptions, origin: StoredCase["origin"]): void {
    const publishAt = addOptions.neverPublished
      ? NEVER_PUBLISHED
      : (addOptions.published ?? true)
        ? null
        : now() + sim.moderationDelayMs;
    store.cases.set(id, { record: wire, publishAt, origin, plantedPersonalData: addOptions.plantedPersonalData ?? null });
    if (publishAt !== null && publishAt !== NEVER_PUBLISHED) store.moderation.add(id);
    else store.moderation.delete(id);
    push(store.cases.get(id));
  }

  function addCase(record: unknown, addOptions: AddCaseOptions = {}, origin: StoredCase["origin"] = "added"): string {
    const parsed = parseCaseRecord(record);
    if (!parsed.ok) throw new Error(`not a service request: ${parsed.reason}`);
    const id = parsed.record.serviceRequestId;
    const wire = structuredClone(record) as WireRecord;
    wire.service_request_id = id;
    const existing = store.cases.get(id);
    if (existing !== undefined) {
      const existingAt = timeOf(existing.record.updated_datetime) ?? Number.NEGATIVE_INFINITY;
      const incomingAt = timeOf(wire.updated_datetime) ?? Number.NEGATIVE_INFINITY;
      if (incomingAt < existingAt) return id;
    }
    put(id, wire, addOptions, origin);
    return id;
  }

  function addRawCase(record: object, addOptions: AddCaseOptions = {}, origin: StoredCase["origin"] = "added"): string {
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new TypeError("addRawCase: a record must be a JSON object");
    }
    const wire = structuredClone(record) as WireRecord;
    const given = wire.service_request_id as unknown;
    let id: string;
    if ((typeof given === "string" && given !== "") || typeof given === "number") {
      id = String(given);
    } else {
      id = mintHelsinkiId(sim.rng);
      while (store.cases.has(id)) id = mintHelsinkiId(sim.rng);
      wire.service_request_id = id;
    }
    put(id, wire, addOptions, origin);
    return id;
  }

  function changeCase(id: string, change: (stored: StoredCase) => void): boolean {
    const stored = store.cases.get(id);
    if (stored === undefined) return false;
    change(stored);
    push(stored);
    return true;
  }

  return {
    app,
    store,
    knobs,
    apiKey: sim.apiKey,
    settings,
    setKnobs,
    addCase: (record, addOptions) => addCase(record, addOptions),
    addRawCase: (record, addOptions) => addRawCase(record, addOptions),
    addCases(records) {
      let added = 0;
      const rejected: Array<{ index: number; reason: string }> = [];
      records.forEach((record, index) => {
        const parsed = parseCaseRecord(record);
        if (!parsed.ok) {
          rejected.push({ index, reason: parsed.reason });
          return;
        }
        addCase(record);
        added += 1;
      });
      return { added, rejected };
    },
    generateCases(n, generateOptions = {}) {
      const generated = generateCases(n, { ...generateOptions, rng: sim.rng, now: now() });
      const { nulShare, emptyServiceCodeShare } = settings.badRecords;
      for (const item of generated) {
        const record = item.record;
        // The returned records are changed too, so that they show what the simulator serves.
        if (plain) makePlain(record, profileRng.chance(0.5));
        const nul = nulShare > 0 && profileRng.chance(nulShare);
        if (nul) record.description = withNul(record.description);
        const emptyCode = emptyServiceCodeShare > 0 && profileRng.chance(emptyServiceCodeShare);
        if (emptyCode) record.service_code = "";
        const neverPublished = settings.unpublishedShare > 0 && profileRng.chance(settings.unpublishedShare);
        const late = !neverPublished && settings.latePublishedShare > 0 && profileRng.chance(settings.latePublishedShare);
        const addOptions: AddCaseOptions = {
          plantedPersonalData: item.plantedPersonalData,
          neverPublished,
          ...(late ? { published: false } : {}),
        };
        if (nul || emptyCode) addRawCase(record, addOptions, "generated");
        else addCase(record, addOptions, "generated");
      }
      return generated;
    },
    closeCase: (id, note) => changeCase(id, (stored) => (plain ? closeCasePlain : closeCaseAtDesk)(stored, note ?? null, now())),
    markDuplicate: (id, parentId) =>
      store.cases.has(parentId) &&
      changeCase(id, (stored) => {
        stored.record.extended_attributes = { ...(stored.record.extended_attributes ?? {}), duplicate_of: parentId };
        stored.record.updated_datetime = toHelsinkiIso(now());
      }),
    reopenCase: (id, note) =>
      store.cases.get(id)?.record.status === "closed" &&
      changeCase(id, (stored) => reopenCaseAtDesk(stored, note ?? null, now(), plain)),
    cancelCase: (id, note) =>
      changeCase(id, (stored) => (plain ? closeCasePlain : cancelCaseAtDesk)(stored, note ?? null, now())),
    state,
    setPushTarget: (url, secrets) => pusher.setTarget(url, secrets),
    drainPushes: () => pusher.drain(),
  };
}
