import { OpenAPIHono } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { createContractorGateway } from "../domain/contractor-gateway.ts";
import type { SiltaDeps } from "../domain/deps.ts";
import { isSiltaError } from "../domain/errors.ts";
import { recordFieldEvents } from "../domain/field-status.ts";
import { sha256Hex } from "../lib/hash.ts";
import { headerMap } from "../lib/webhook-signature.ts";
import { caseFieldStatus } from "./case-status.ts";
import { errorResponse } from "./contractor-api/api-errors.ts";
import { CONTRACTOR_API_BASE_PATH, createContractorApi } from "./contractor-api/app.ts";

/** Webhook bodies above this answer 413 before they are read (S4). */
export const WEBHOOK_BODY_LIMIT = 256 * 1024;

export interface AppOptions {
  /** Called after a webhook stored new events, so the worker can apply them at once instead of at its next idle tick. */
  onInboxChanged?: () => void;
}

/**
 * Silta's HTTP surface, the same for every runtime: health, inbound webhooks from targets,
 * the contractor API and the handler's case status. Handlers only validate, store and answer;
 * external calls happen in outbox jobs, never here.
 */
export function createApp(deps: SiltaDeps, options: AppOptions = {}): OpenAPIHono {
  const app = new OpenAPIHono();
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    deps.log.info(
      {
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (isSiltaError(error) && (error.code === "webhook_signature_invalid" || error.code === "webhook_malformed")) {
      return errorResponse(c, error.code === "webhook_signature_invalid" ? "unauthorized" : "invalid_request", error.message);
    }
    deps.log.error(
      { requestId: c.get("requestId"), err: error instanceof Error ? error.message : String(error) },
      "request failed",
    );
    return errorResponse(c, "internal_error", "Silta could not handle the request; it has been logged with this request id");
  });
  app.notFound((c) => errorResponse(c, "not_found", `no route for ${c.req.method} ${c.req.path}`));

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      await deps.database.rows(sql`select 1 from outbox_jobs limit 1`);
      return c.json({ status: "ready" });
    } catch (error) {
      return c.json({ status: "not_ready", reason: error instanceof Error ? error.message : String(error) }, 503);
    }
  });

  app.post(
    "/webhooks/:target",
    bodyLimit({
      maxSize: WEBHOOK_BODY_LIMIT,
      onError: (c) => errorResponse(c, "payload_too_large", `the body is larger than ${WEBHOOK_BODY_LIMIT} bytes`),
    }),
    async (c) => {
      const targetId = c.req.param("target");
      const system = deps.targets.get(targetId);
      if (!system) return errorResponse(c, "not_found", `no target "${targetId}"`);
      const body = await c.req.text();
      // Verification comes before any write: an invalid signature leaves no trace but the log line (S1).
      const events = await system.verifyWebhook(headerMap(c.req.raw.headers), body);
      const result = await recordFieldEvents(deps.database, targetId, events, await sha256Hex(body));
      if (result.accepted > 0) options.onInboxChanged?.();
      return c.json(result, 200);
    },
  );

  app.route(CONTRACTOR_API_BASE_PATH, createContractorApi(createContractorGateway(deps.database, deps.mappings)));

  app.get("/api/v1/cases/:id", async (c) => {
    const status = await caseFieldStatus(deps.database, c.req.param("id"));
    return status ? c.json(status) : errorResponse(c, "not_found", `Silta has no case ${c.req.param("id")}`);
  });

  app.get("/", (c) =>
    c.json({
      name: "Silta",
      description: "Bridge between Open311 feedback and field-work contractors",
      links: {
        health: "/healthz",
        ready: "/readyz",
        contractorApi: `${CONTRACTOR_API_BASE_PATH}/openapi.json`,
        caseStatus: "/api/v1/cases/{id}",
      },
    }),
  );
  return app;
}
