import { Hono } from "hono";
import { createRng } from "../../../src/lib/prng.ts";
import { parseCaseRecord } from "../parse.ts";
import { cancelCaseAtDesk, closeCaseAtDesk } from "./case-changes.ts";
import { createCasePusher, type PushStats } from "./case-pusher.ts";
import { type GenerateCasesOptions, type GeneratedCase, generateCases } from "./generate-cases.ts";
import { DEFAULT_KNOBS, knobPatchSchema, type SimKnobPatch, type SimKnobs } from "./knobs.ts";
import type { PlantedPersonalData } from "./personal-data.ts";
import { renderCase } from "./render.ts";
import { registerRequestRoutes } from "./routes-requests.ts";
import { registerUpdateRoutes } from "./routes-updates.ts";
import { findService, HELSINKI_SERVICES, isFinnishLocale } from "./services.ts";
import { georeportError, JSON_ONLY, type SimContext, splitFormat } from "./sim-context.ts";
import {
  createSimulatorStore,
  publishDueCases,
  type SimulatorStats,
  type StoredCase,
  type StoredUpdate,
  timeOf,
  type WireRecord,
} from "./store.ts";

/**
 * A Helsinki-flavoured Open311 server in memory (design/helsinki-open311.md §5): GeoReport v2
 * JSON endpoints with Helsinki's extensions and caps, pre-moderation, service request updates,
 * and fault knobs. Runs anywhere Hono runs; `serve.ts` puts it on a Node port.
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
}

export interface SimulatorState {
  cases: number;
  published: number;
  unpublished: number;
  updates: number;
  stats: SimulatorStats;
  knobs: SimKnobs;
  push: PushStats & { targetUrl: string | null };
}

export interface AddCaseOptions {
  /** False keeps the case in moderation (visible by id only) until `moderationDelayMs` has passed. Default true. */
  published?: boolean;
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
  /** Validates and applies a partial knob setting; returns the knobs now in force. */
  setKnobs(patch: SimKnobPatch): SimKnobs;
  /**
   * Adds one wire record (any GeoReport v2 shape Silta can read). A record with the id of an
   * existing case replaces it only when it is at least as recent. Throws on a record that is not
   * a case. Returns the id.
   */
  addCase(record: unknown, options?: AddCaseOptions): string;
  /** Adds many records, skipping (and reporting) those that are not cases. */
  addCases(records: readonly unknown[]): { added: number; rejected: Array<{ index: number; reason: string }> };
  /** Generates synthetic cases from the simulator's seeded stream, adds them, and returns them. */
  generateCases(n: number, options?: Omit<GenerateCasesOptions, "rng" | "seed" | "now">): GeneratedCase[];
  /** The desk closes a case as handled (`closed`, desk part PROCESSED). False when the id is unknown. */
  closeCase(serviceRequestId: string, note?: string): boolean;
  /** The city withdraws a case (`closed`, `detailed_status` REJECTED). False when the id is unknown. */
  cancelCase(serviceRequestId: string, note?: string): boolean;
  state(): SimulatorState;
  /**
   * Push mode: every case added published, closed or withdrawn is also posted to `url` (Silta's
   * `/intake/open311`), signed with `secrets`. Cases published later by moderation are left to
   * the poll. Null turns pushing off.
   */
  setPushTarget(url: string | null, secrets?: readonly string[]): void;
  /** Waits until every queued push has been answered (or given up). */
  drainPushes(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Builds a Helsinki Open311 simulator with its own in-memory state. */
export function createHelsinkiSimulator(options: HelsinkiSimulatorOptions = {}): HelsinkiSimulator {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const store = createSimulatorStore();
  const knobs: SimKnobs = { ...DEFAULT_KNOBS, ...knobPatchSchema.parse(options.knobs ?? {}) };
  // Faults draw from their own stream so that turning a knob does not change the ids minted.
  const faultRng = createRng(seed ^ 0x5bd1e995);
  const sim: SimContext = {
    store,
    knobs,
    now,
    rng: createRng(seed),
    apiKey: options.apiKey ?? "sim-api-key",
    moderationDelayMs: options.moderationDelayMs ?? 0,
    listCap: options.listCap ?? 200,
    maxWindowMs: (options.maxWindowDays ?? 90) * DAY_MS,
  };

  const app = new Hono();
  const pusher = createCasePusher(options.push ?? {});
  const push = (stored: StoredCase | undefined) => {
    if (stored && stored.publishAt === null)
      pusher.queue(renderCase(stored, { extensions: true, latLongAsStrings: knobs.latLongAsStrings }));
  };

  app.use("*", async (c, next) => {
    if (c.req.path.startsWith("/__sim/")) return next();
    store.stats.open311Calls += 1;
    if (knobs.latencyMs > 0) await sleep(knobs.latencyMs);
    if (knobs.outage || (knobs.errorRate > 0 && faultRng.chance(knobs.errorRate))) {
      store.stats.faultsInjected += 1;
      c.header("Retry-After", "1");
      return georeportError(c, 503, "Service temporarily unavailable");
    }
    publishDueCases(store, now());
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
    publishDueCases(store, now());
    const unpublished = [...store.cases.values()].filter((stored) => stored.publishAt !== null).length;
    return {
      cases: store.cases.size,
      published: store.cases.size - unpublished,
      unpublished,
      updates: store.updates.size,
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

  function addCase(record: unknown, addOptions: AddCaseOptions = {}): string {
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
    const published = addOptions.published ?? true;
    const publishAt = published ? null : now() + sim.moderationDelayMs;
    store.cases.set(id, {
      record: wire,
      publishAt,
      origin: "added",
      plantedPersonalData: addOptions.plantedPersonalData ?? null,
    });
    if (publishAt !== null) store.moderation.add(id);
    else store.moderation.delete(id);
    push(store.cases.get(id));
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
    setKnobs,
    addCase,
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
      for (const item of generated) {
        const id = addCase(item.record, { plantedPersonalData: item.plantedPersonalData });
        const stored = store.cases.get(id);
        if (stored !== undefined) stored.origin = "generated";
      }
      return generated;
    },
    closeCase: (id, note) => changeCase(id, (stored) => closeCaseAtDesk(stored, note ?? null, now())),
    cancelCase: (id, note) => changeCase(id, (stored) => cancelCaseAtDesk(stored, note ?? null, now())),
    state,
    setPushTarget: (url, secrets) => pusher.setTarget(url, secrets),
    drainPushes: () => pusher.drain(),
  };
}
