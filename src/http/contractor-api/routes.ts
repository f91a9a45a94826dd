import { createRoute } from "@hono/zod-openapi";
import { bodyErrorResponses, notFoundResponse, sharedErrorResponses } from "./api-errors.ts";
import {
  DeliveryLogSchema,
  DeliveryQuerySchema,
  EventAcceptedSchema,
  FeedPageSchema,
  FeedQuerySchema,
  FieldEventBodySchema,
  IdempotencyHeadersSchema,
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
