import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { PhotoKind } from "../../db/schema/index.ts";
import type { DeliveryLogEntry, DeliveryLogState } from "../../domain/admin/delivery-log.ts";
import type { SelfTestResult } from "../../domain/contractor-self-test.ts";
import type { Logger } from "../../domain/deps.ts";
import type { ReceivedPhoto } from "../../domain/photos/receive-photo.ts";
import { canonicalJson, sha256Hex } from "../../lib/hash.ts";
import type { ContractorGateway } from "../../ports/contractor-gateway.ts";
import type { FieldEvent } from "../../ports/work-order-system.ts";
import { bearerToken } from "../auth/tokens.ts";
import { createHttpApp } from "../create-http-app.ts";
import { INBOUND_LIMITS, limitedBody } from "../limits/inbound-limits.ts";
import { credentialFingerprint, type RateLimiter, rateLimit } from "../limits/rate-limit.ts";
import { serveOpenApiDocument } from "../openapi-document.ts";
import { errorBody } from "./api-errors.ts";
import { bearerAuth } from "./bearer-auth.ts";
import type { ContractorApiEnv } from "./env.ts";
import { CONTRACTOR_API_CHANGELOG } from "./reference-page.ts";

/** The API's semantic version: the newest changelog entry's. */
const CONTRACTOR_API_VERSION = CONTRACTOR_API_CHANGELOG[0]?.version ?? "1.0.0";

import {
  getWorkOrderRoute,
  listDeliveriesRoute,
  listWorkOrderFeedRoute,
  pingRoute,
  recordWorkOrderEventRoute,
  selfTestRoute,
  uploadWorkOrderPhotoRoute,
} from "./routes.ts";
import { toFeedItem, toWorkOrderState } from "./work-order-view.ts";

/** S4: bodies above this answer 413 before they are parsed. */
export const CONTRACTOR_API_BODY_LIMIT = INBOUND_LIMITS.contractorBodyBytes;
export const CONTRACTOR_API_BASE_PATH = "/api/contractor/v1";

export interface ContractorApiOptions {
  /** Where the lead mounts the sub-app; written into the served document's `servers`. */
  basePath?: string;
  /** The calling contractor's failed or pending deliveries (the self-service log); absent: always empty. */
  deliveryLog?: (targetId: string, state: DeliveryLogState, limit: number) => Promise<DeliveryLogEntry[]>;
  /** Token bucket per API key (by fingerprint), taken before the key is looked up; absent: no limit. */
  rateLimiter?: RateLimiter;
  /** How long a body may take to arrive. */
  bodyReadTimeoutMs?: number;
  /** Where unexpected errors are logged with the request id; absent: not logged. */
  log?: Pick<Logger, "error">;
  /** Takes a photo for one of the contractor's work orders (domain/photos); absent: uploads answer 503. */
  receivePhoto?: (targetId: string, workOrderId: string, kind: PhotoKind, bytes: Uint8Array) => Promise<ReceivedPhoto>;
  /** The largest photo accepted, in bytes (the body limit of the photo route). */
  photoMaxBytes?: number;
  /** Sends the contractor's endpoint a synthetic work order (domain/contractor-self-test); absent: 503. */
  selfTest?: (targetId: string) => Promise<SelfTestResult | null>;
}

/**
 * Silta's contractor API (pull feed, work-order reads, status events) as an OpenAPIHono sub-app,
 * to be mounted at `/api/contractor/v1`. Every route needs a contractor's bearer key and sees
 * only that contractor's work orders; `/openapi.json` serves the OpenAPI 3.1 document generated
 * from the same route definitions.
 */
export function createContractorApi(
  gateway: ContractorGateway,
  options: ContractorApiOptions = {},
): OpenAPIHono<ContractorApiEnv> {
  // Request id (the parent's when mounted), validation hook, error handler and 404 as in every app.
  const app = createHttpApp<ContractorApiEnv>(options.log ? { log: options.log } : {});
  const { rateLimiter } = options;
  // One key's flood is answered 429 before its key is hashed against the database, so it costs others nothing.
  const limitPerKey = rateLimiter
    ? rateLimit(
        rateLimiter,
        async (c) => {
          const key = bearerToken(c.req.header("authorization"));
          return key ? credentialFingerprint(key) : null;
        },
        "with this API key",
      )
    : null;
  const body = limitedBody({
    maxBytes: CONTRACTOR_API_BODY_LIMIT,
    maxJsonDepth: INBOUND_LIMITS.jsonMaxDepth,
    ...(options.bodyReadTimeoutMs ? { readTimeoutMs: options.bodyReadTimeoutMs } : {}),
  });
  // A photo is binary and larger: its own limit, and NUL bytes are part of any image.
  const photoBody = limitedBody({
    maxBytes: options.photoMaxBytes ?? 10 * 1024 * 1024,
    allowNul: true,
    ...(options.bodyReadTimeoutMs ? { readTimeoutMs: options.bodyReadTimeoutMs } : {}),
  });
  // Only an image body skips the text checks: anything else sent to the photo route is read as text (NUL: 400).
  const bodyFor: MiddlewareHandler = (c, next) =>
    c.req.path.endsWith("/photos") && /^image\//i.test(c.req.header("content-type") ?? "") ? photoBody(c, next) : body(c, next);
  // "/work-orders/*" matches "/work-orders" too: listing both would run every middleware twice on the feed.
  for (const path of ["/work-orders/*", "/deliveries", "/ping", "/self-test"]) {
    if (limitPerKey) app.use(path, limitPerKey);
    app.use(path, bearerAuth(gateway), bodyFor);
  }

  app.openapi(listWorkOrderFeedRoute, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const page = await gateway.listFeed(c.get("targetId"), cursor ?? null, limit);
    return c.json({ items: page.items.map(toFeedItem), nextCursor: page.nextCursor }, 200);
  });

  app.openapi(getWorkOrderRoute, async (c) => {
    const { workOrderId } = c.req.valid("param");
    // The gateway answers null for another contractor's order too: 404, never 403, so ids do not leak.
    const view = await gateway.getWorkOrder(c.get("targetId"), workOrderId);
    if (!view) return c.json(errorBody(c, "not_found", "no such work order"), 404);
    return c.json(toWorkOrderState(view), 200);
  });

  app.openapi(recordWorkOrderEventRoute, async (c) => {
    const targetId = c.get("targetId");
    const { workOrderId } = c.req.valid("param");
    const key = c.req.valid("header")["idempotency-key"];
    const body = c.req.valid("json");
    const event: FieldEvent = {
      eventId: `${targetId}:${key}`,
      externalRef: workOrderId,
      workOrderId,
      statusCode: body.status,
      occurredAt: body.occurredAt,
      note: body.note ?? null,
    };
    const bodyHash = sha256Hex(canonicalJson(body));
    const recorded = await gateway.recordEvent(targetId, event, { key, bodyHash });
    switch (recorded.outcome) {
      case "accepted":
      case "replayed":
        return c.json({ eventId: recorded.eventId, status: "accepted" as const }, 202);
      case "conflict":
        return c.json(errorBody(c, "idempotency_conflict", "this Idempotency-Key was already used with a different body"), 422);
      case "not_found":
        return c.json(errorBody(c, "not_found", "no such work order"), 404);
    }
  });

  app.openapi(uploadWorkOrderPhotoRoute, async (c) => {
    if (!options.receivePhoto) return c.json(errorBody(c, "unavailable", "this Silta instance takes no photos"), 503);
    const { workOrderId } = c.req.valid("param");
    const { kind } = c.req.valid("query");
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    // The gateway's rule: another contractor's order is not found (404), never forbidden.
    if (!(await gateway.getWorkOrder(c.get("targetId"), workOrderId)))
      return c.json(errorBody(c, "not_found", "no such work order"), 404);
    const received = await options.receivePhoto(c.get("targetId"), workOrderId, kind, bytes);
    return c.json(received, 201);
  });

  app.openapi(pingRoute, (c) =>
    c.json(
      { ok: true as const, contractor: c.get("targetId"), apiVersion: CONTRACTOR_API_VERSION, time: new Date().toISOString() },
      200,
    ),
  );

  app.openapi(selfTestRoute, async (c) => {
    const result = options.selfTest ? await options.selfTest(c.get("targetId")) : null;
    if (!result) return c.json(errorBody(c, "unavailable", "Silta has no endpoint configured for you to test"), 503);
    return c.json(result, 200);
  });

  app.openapi(listDeliveriesRoute, async (c) => {
    const { state, limit } = c.req.valid("query");
    const items = options.deliveryLog ? await options.deliveryLog(c.get("targetId"), state, limit) : [];
    return c.json({ items }, 200);
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", {
    type: "http",
    scheme: "bearer",
    description: "The API key Silta issued to the contractor.",
  });
  const documentConfig = {
    openapi: "3.1.0" as const,
    info: {
      title: "Silta contractor API",
      // Semantic version: the newest changelog entry's (reference-page.ts).
      version: CONTRACTOR_API_VERSION,
      description:
        "Pull feed of work orders, work-order reads and status events for contractors. Status codes: RECEIVED, IN_PROGRESS, COMPLETED, SCHEDULED_LATER, NO_ACTION, INTERRUPTED, WRONG_CONTRACTOR.",
    },
    servers: [{ url: options.basePath ?? CONTRACTOR_API_BASE_PATH }],
    tags: [
      { name: "work-orders", description: "The calling contractor's work orders." },
      { name: "deliveries", description: "What Silta could not deliver to the calling contractor yet." },
      { name: "self-test", description: "Check your key and your endpoint before going live." },
    ],
  };
  // Built once, at the first request for it, then served from memory.
  serveOpenApiDocument(app, documentConfig, `${options.basePath ?? CONTRACTOR_API_BASE_PATH}/openapi.json`);
  return app;
}
