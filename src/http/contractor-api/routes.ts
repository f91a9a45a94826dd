import { createRoute } from "@hono/zod-openapi";
import { bodyErrorResponses, errorContent, notFoundResponse, sharedErrorResponses } from "./api-errors.ts";
import {
  DeliveryLogSchema,
  DeliveryQuerySchema,
  EventAcceptedSchema,
  FeedPageSchema,
  FeedQuerySchema,
  FieldEventBodySchema,
  IdempotencyHeadersSchema,
  PhotoAcceptedSchema,
  PhotoQuerySchema,
  PingSchema,
  SelfTestSchema,
  WorkOrderParamsSchema,
  WorkOrderStateSchema,
} from "./schemas.ts";

/** The security requirement of every contractor route (the scheme is registered by the app). */
const bearer = [{ Bearer: [] }];
const tags = ["work-orders"];

export const listWorkOrderFeedRoute = createRoute({
  method: "get",
  path: "/work-orders",
  operationId: "listWorkOrderFeed",
  tags,
  summary: "Read the work-order feed",
  description:
    "New work orders and cancellations for the calling contractor, oldest first. Store `nextCursor` and pass it back to continue; an empty page means nothing new yet.",
  security: bearer,
  request: { query: FeedQuerySchema },
  responses: {
    200: { description: "One page of the feed.", content: { "application/json": { schema: FeedPageSchema } } },
    ...sharedErrorResponses,
  },
});

export const getWorkOrderRoute = createRoute({
  method: "get",
  path: "/work-orders/{workOrderId}",
  operationId: "getWorkOrder",
  tags,
  summary: "Read one work order",
  description: "Only the calling contractor's own work orders are visible; any other id answers 404.",
  security: bearer,
  request: { params: WorkOrderParamsSchema },
  responses: {
    200: { description: "The work order.", content: { "application/json": { schema: WorkOrderStateSchema } } },
    ...sharedErrorResponses,
    ...notFoundResponse,
  },
});

export const recordWorkOrderEventRoute = createRoute({
  method: "post",
  path: "/work-orders/{workOrderId}/events",
  operationId: "recordWorkOrderEvent",
  tags,
  summary: "Report an acknowledgement or a status change",
  description:
    "Idempotent by `Idempotency-Key`: repeating a key with the same body answers as the first time; with a different body, 422. Accepted events are processed asynchronously; stale or out-of-order statuses are recorded and ignored.",
  security: bearer,
  request: {
    params: WorkOrderParamsSchema,
    headers: IdempotencyHeadersSchema,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: FieldEventBodySchema,
          example: { status: "IN_PROGRESS", occurredAt: "2026-11-20T10:02:00+02:00", note: "Crew on site." },
        },
      },
    },
  },
  responses: {
    202: {
      description: "Accepted (or already accepted under this Idempotency-Key).",
      content: { "application/json": { schema: EventAcceptedSchema } },
    },
    ...sharedErrorResponses,
    ...notFoundResponse,
    ...bodyErrorResponses,
  },
});

export const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/deliveries",
  operationId: "listDeliveries",
  tags: ["deliveries"],
  summary: "Your failed or pending deliveries",
  description:
    "Self-service delivery log: work orders Silta could not deliver to your endpoint (`failed`) or is still trying (`pending`). Only your own; ids, codes and times only.",
  security: bearer,
  request: { query: DeliveryQuerySchema },
  responses: {
    200: { description: "Newest change first.", content: { "application/json": { schema: DeliveryLogSchema } } },
    ...sharedErrorResponses,
  },
});

const binary = { schema: { type: "string" as const, format: "binary" } };

export const uploadWorkOrderPhotoRoute = createRoute({
  method: "post",
  path: "/work-orders/{workOrderId}/photos",
  operationId: "uploadWorkOrderPhoto",
  tags,
  summary: "Attach a photo (before, after, completion) to a work order",
  description:
    "The body is the photo itself. Silta checks its type by its content (JPEG, PNG or WebP), its size (10 MiB unless configured otherwise), removes its metadata (location, camera, time) and keeps it for the city's case handler, who decides whether it is published to the case. Sending the same photo again stores nothing new.",
  security: bearer,
  request: {
    params: WorkOrderParamsSchema,
    query: PhotoQuerySchema,
    body: { required: true, content: { "image/jpeg": binary, "image/png": binary, "image/webp": binary } },
  },
  responses: {
    201: { description: "Received (or already received).", content: { "application/json": { schema: PhotoAcceptedSchema } } },
    ...sharedErrorResponses,
    ...notFoundResponse,
    400: errorContent("The request is invalid (parameters)."),
    413: errorContent("The photo is larger than the limit."),
    415: errorContent("The body is not a JPEG, PNG or WebP photo (by its content)."),
    503: errorContent("This Silta instance takes no photos (they are checked on its Node service)."),
  },
});

export const pingRoute = createRoute({
  method: "get",
  path: "/ping",
  operationId: "ping",
  tags: ["self-test"],
  summary: "Check the API key and the connection: answers who you are and the API version",
  security: bearer,
  responses: {
    200: { description: "The key works.", content: { "application/json": { schema: PingSchema } } },
    ...sharedErrorResponses,
  },
});

export const selfTestRoute = createRoute({
  method: "post",
  path: "/self-test",
  operationId: "selfTest",
  tags: ["self-test"],
  summary: "Have Silta send a synthetic work order to your endpoint, and see what came back",
  description:
    "Before going live: Silta sends your configured endpoint a work order whose reference starts with `selftest:` and whose service code is `TEST`, signed and timed like a real one, and answers with what your endpoint returned. Nothing is recorded as a delivery.",
  security: bearer,
  responses: {
    200: { description: "The test ran (see `answer.ok`).", content: { "application/json": { schema: SelfTestSchema } } },
    ...sharedErrorResponses,
    503: errorContent("This instance has no push endpoint configured for you (a pull-only contractor)."),
  },
});
