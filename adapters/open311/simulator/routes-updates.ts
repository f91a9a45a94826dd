import type { Context, Hono } from "hono";
import { OPEN311_UPDATE_STATUSES, type Open311UpdateStatus } from "../../../src/ports/case-system.ts";
import { applyPlainServiceRequestUpdate, applyServiceRequestUpdate } from "./case-changes.ts";
import { toHelsinkiIso } from "./helsinki-time.ts";
import { HTML_NOT_FOUND_PAGE } from "./profiles.ts";
import { formFields, georeportError, type SimContext } from "./sim-context.ts";
import { type StoredUpdate, timeOf } from "./store.ts";

function isUpdateStatus(value: string): value is Open311UpdateStatus {
  return (OPEN311_UPDATE_STATUSES as readonly string[]).includes(value);
}

function renderUpdate(update: StoredUpdate) {
  return {
    update_id: update.update_id,
    service_request_id: update.service_request_id,
    status: update.status,
    updated_datetime: update.updated_datetime,
    description: update.description,
    media_url: update.media_url ?? "",
    external_status_code: update.external_status_code ?? "",
  };
}

/**
 * mySociety's service request updates: `POST servicerequestupdates.json` (with the API key,
 * idempotent by `update_id`) reflects the update into the case; `GET` lists updates by their
 * `updated_datetime` (`start_date`/`end_date` inclusive, optional `service_request_id`).
 * Without the extension (`writeBackEndpoint: false`) both answer the web server's HTML 404.
 */
export function registerUpdateRoutes(app: Hono, sim: SimContext): void {
  if (!sim.writeBackEndpoint) {
    const notFound = (c: Context) => c.html(HTML_NOT_FOUND_PAGE, 404);
    app.get("/servicerequestupdates.json", notFound);
    app.post("/servicerequestupdates.json", notFound);
    return;
  }
  app.post("/servicerequestupdates.json", async (c) => {
    const form = await formFields(c);
    if (form.api_key === undefined || form.api_key !== sim.apiKey) return georeportError(c, 403, "Missing or invalid API key.");
    for (const field of ["service_request_id", "update_id", "updated_datetime", "status", "description"] as const) {
      if ((form[field]?.trim() ?? "") === "") return georeportError(c, 400, `${field} is required`);
    }
    const serviceRequestId = form.service_request_id?.trim() ?? "";
    const updateId = form.update_id?.trim() ?? "";
    const status = form.status?.trim().toUpperCase() ?? "";
    const description = form.description ?? "";
    const updatedAt = form.updated_datetime?.trim() ?? "";
    if (!isUpdateStatus(status)) return georeportError(c, 400, `status must be one of ${OPEN311_UPDATE_STATUSES.join(", ")}`);
    if (timeOf(updatedAt) === null) return georeportError(c, 400, "updated_datetime is not a valid ISO 8601 datetime");

    const known = sim.store.updates.get(updateId);
    if (known !== undefined) {
      // The same update sent again (a retry after a lost answer): answer as the first time, change nothing.
      if (known.service_request_id !== serviceRequestId) {
        return georeportError(c, 400, `update_id ${updateId} was already used for another service request`);
      }
      return c.json([{ update_id: known.update_id }]);
    }
    const stored = sim.store.cases.get(serviceRequestId);
    if (stored === undefined) return georeportError(c, 404, `Service request ${serviceRequestId} not found`);

    const externalStatusCode = form.external_status_code?.trim() ? form.external_status_code.trim() : null;
    const nowMs = sim.now();
    const apply = sim.closedMeans === "resolved" ? applyPlainServiceRequestUpdate : applyServiceRequestUpdate;
    apply(stored, { status, description, externalStatusCode }, nowMs);
    sim.store.updates.set(updateId, {
      update_id: updateId,
      service_request_id: serviceRequestId,
      status,
      updated_datetime: updatedAt,
      description,
      media_url: form.media_url?.trim() ? form.media_url.trim() : null,
      external_status_code: externalStatusCode,
      received_datetime: toHelsinkiIso(nowMs),
    });
    return c.json([{ update_id: updateId }]);
  });

  app.get("/servicerequestupdates.json", (c) => {
    const start = c.req.query("start_date");
    const end = c.req.query("end_date");
    const startMs = start ? timeOf(start) : Number.NEGATIVE_INFINITY;
    const endMs = end ? timeOf(end) : Number.POSITIVE_INFINITY;
    if (startMs === null || endMs === null) return georeportError(c, 400, "start_date and end_date must be ISO 8601 datetimes");
    const only = c.req.query("service_request_id");
    const updates = [...sim.store.updates.values()]
      .filter((update) => only === undefined || update.service_request_id === only)
      .filter((update) => {
        const at = timeOf(update.updated_datetime) ?? 0;
        return at >= startMs && at <= endMs;
      })
      .sort((a, b) => (timeOf(a.updated_datetime) ?? 0) - (timeOf(b.updated_datetime) ?? 0));
    return c.json(updates.map(renderUpdate));
  });
}
