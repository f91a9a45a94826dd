import type { Hono } from "hono";
import { titleFromDescription } from "./generate-cases.ts";
import { toHelsinkiIso } from "./helsinki-time.ts";
import { mintHelsinkiId } from "./ids.ts";
import { selectRequests } from "./list-requests.ts";
import { type RenderOptions, renderCase, renderModeratedCase } from "./render.ts";
import { findService } from "./services.ts";
import { commaList, formFields, georeportError, JSON_ONLY, type SimContext, splitFormat } from "./sim-context.ts";
import type { StoredCase, WireRecord } from "./store.ts";

const MIN_DESCRIPTION = 10;
const MAX_DESCRIPTION = 5000;
/** Helsinki requires `media_url` to end in a file extension. */
const MEDIA_URL_PATTERN = /^https?:\/\/\S+\.[A-Za-z0-9]{2,5}$/;

/** A positive integer query parameter; `fallback` when absent, null when not one. */
function positiveInt(value: string | undefined, fallback: number): number | null {
  if (value === undefined || value.trim() === "") return fallback;
  if (!/^\d+$/.test(value.trim())) return null;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** An `api_key` on a read: absent (public read), the simulator's key, or a wrong one (403). */
function readKey(value: string | undefined, apiKey: string): "absent" | "valid" | "wrong" {
  if (value === undefined || value === "") return "absent";
  return value === apiKey ? "valid" : "wrong";
}

function renderOptions(sim: SimContext, extensions: boolean): RenderOptions {
  return { extensions, latLongAsStrings: sim.knobs.latLongAsStrings, plain: sim.closedMeans === "resolved" };
}

function coordinate(value: string | undefined, limit: number): number | null {
  if (value === undefined || value.trim() === "") return null;
  const n = Number(value);
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : null;
}

/**
 * `GET/POST requests.json` and `GET requests/{id}.json`. A read carrying the simulator's
 * `api_key` also sees unpublished cases in full (lists included); a wrong key is refused (403).
 * With paging (profile `generic`), list answers are paged 6Aika style: `page`, `page_size`,
 * `X-Result-Count`, `X-Page-Count`, `X-Next-Page-URL` and `Link: <…>; rel="next"`.
 */
export function registerRequestRoutes(app: Hono, sim: SimContext): void {
  app.get("/requests.json", (c) => {
    const query = c.req.query();
    const keyed = readKey(query.api_key, sim.apiKey);
    if (keyed === "wrong") return georeportError(c, 403, "Invalid API key.");
    const paged = sim.paging !== null && commaList(query.service_request_id).length === 0;
    let page: { number: number; size: number } | undefined;
    if (paged && sim.paging !== null) {
      const number = positiveInt(query.page, 1);
      const size = positiveInt(query.page_size, sim.paging.pageSize);
      if (number === null) return georeportError(c, 400, "page must be a positive integer");
      if (size === null) return georeportError(c, 400, "page_size must be a positive integer");
      page = { number, size: Math.min(size, sim.paging.maxPageSize) };
    }
    const selection = selectRequests(sim.store, query, sim.now(), {
      cap: sim.paging !== null ? Number.POSITIVE_INFINITY : sim.listCap,
      maxWindowMs: sim.maxWindowMs,
      duplicateAcrossWindows: sim.knobs.duplicateAcrossWindows,
      order: sim.paging?.order ?? "oldest_first",
      includeUnpublished: keyed === "valid",
      ...(page !== undefined ? { page } : {}),
    });
    if (!selection.ok) return georeportError(c, 400, selection.description);
    sim.store.stats.duplicateRowsServed += selection.duplicateRows;
    if (page !== undefined) {
      const pageCount = Math.max(1, Math.ceil(selection.total / page.size));
      c.header("X-Result-Count", String(selection.total));
      c.header("X-Page-Count", String(pageCount));
      if (page.number < pageCount) {
        const next = new URL(c.req.url);
        next.searchParams.set("page", String(page.number + 1));
        c.header("X-Next-Page-URL", next.href);
        c.header("Link", `<${next.href}>; rel="next"`);
      }
    }
    const options = renderOptions(sim, query.extensions === "true");
    return c.json(selection.rows.map((stored) => renderCase(stored, options)));
  });

  app.post("/requests.json", async (c) => {
    const form = await formFields(c);
    if (form.api_key === undefined || form.api_key !== sim.apiKey) return georeportError(c, 403, "Missing or invalid API key.");
    const code = form.service_code?.trim() ?? "";
    if (code === "") return georeportError(c, 400, "service_code is required");
    const service = findService(code);
    if (service === undefined) return georeportError(c, 400, `service_code ${code} is not a known service`);
    const lat = coordinate(form.lat, 90);
    const long = coordinate(form.long, 180);
    const address = form.address_string?.trim() ?? "";
    const addressId = form.address_id?.trim() ?? "";
    if ((lat === null || long === null) && address === "" && addressId === "") {
      return georeportError(c, 400, "a location is required: lat and long, address_string or address_id");
    }
    const description = form.description ?? "";
    if (description.length < MIN_DESCRIPTION || description.length > MAX_DESCRIPTION) {
      return georeportError(c, 400, `description must be ${MIN_DESCRIPTION}–${MAX_DESCRIPTION} characters`);
    }
    const mediaUrl = form.media_url?.trim() ?? "";
    if (mediaUrl !== "" && !MEDIA_URL_PATTERN.test(mediaUrl)) {
      return georeportError(c, 400, "media_url must be an http(s) URL ending in a file extension");
    }

    let id = mintHelsinkiId(sim.rng);
    while (sim.store.cases.has(id)) id = mintHelsinkiId(sim.rng);
    const nowMs = sim.now();
    const now = toHelsinkiIso(nowMs);
    const record: WireRecord = {
      service_request_id: id,
      status: "open",
      status_notes: "",
      service_code: code,
      service_name: service.nameEn,
      description,
      agency_responsible: "",
      service_notice: "",
      requested_datetime: now,
      updated_datetime: now,
      address,
      address_id: addressId,
      lat,
      long,
      media_url: mediaUrl,
    };
    const title = form.title?.trim() ? form.title.trim() : titleFromDescription(description);
    record.extended_attributes =
      sim.closedMeans === "resolved"
        ? { title }
        : {
            title,
            detailed_status: "IN_PROCESS",
            ...(mediaUrl !== "" ? { media_urls: [mediaUrl] } : {}),
            ...(form.service_object_id ? { service_object_id: form.service_object_id } : {}),
            ...(form.service_object_type ? { service_object_type: form.service_object_type } : {}),
            tasks: [
              {
                task_created: now,
                task_modified: now,
                owner_name: "Kaupunginkanslia",
                task_type: "assigned",
                task_state: "open",
              },
            ],
          };
    for (const field of ["first_name", "last_name", "email", "phone"] as const) {
      const value = form[field]?.trim();
      if (value) record[field] = value;
    }
    const publishAt = sim.moderationDelayMs > 0 ? nowMs + sim.moderationDelayMs : null;
    const stored: StoredCase = { record, publishAt, origin: "posted", plantedPersonalData: null };
    sim.store.cases.set(id, stored);
    if (publishAt !== null) sim.store.moderation.add(id);
    return c.json([{ service_request_id: id, service_notice: "" }]);
  });

  app.get("/requests/:file", (c) => {
    const file = splitFormat(c.req.param("file"));
    if (file === null) return georeportError(c, 404, "Not found");
    if (file.format === "xml") return georeportError(c, 400, JSON_ONLY);
    if (file.format !== "json") return georeportError(c, 404, "Not found");
    const keyed = readKey(c.req.query("api_key"), sim.apiKey);
    if (keyed === "wrong") return georeportError(c, 403, "Invalid API key.");
    const stored = sim.store.cases.get(file.name);
    if (stored === undefined) return georeportError(c, 404, `Service request ${file.name} not found`);
    const options = renderOptions(sim, c.req.query("extensions") === "true");
    const whole = stored.publishAt === null || keyed === "valid";
    const record = whole ? renderCase(stored, options) : renderModeratedCase(stored, options);
    return c.json([record]);
  });
}
