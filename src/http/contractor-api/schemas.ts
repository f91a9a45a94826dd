import { z } from "@hono/zod-openapi";
import { MESSAGE_TYPES, REPORTED_STATUS_CODES } from "../../../adapters/contractor-api/protocol.ts";

const EXAMPLE_ID = "helsinki:2026-00123:contractor-a";
const nullableText = z.string().nullable().optional();

/** A work order as a contractor sees it: the disclosed payload plus its current state. */
export const WorkOrderStateSchema = z
  .object({
    workOrderId: z.string().openapi({ example: EXAMPLE_ID, description: "Silta's reference." }),
    serviceRequestId: z.string().openapi({ example: "2026-00123" }),
    serviceCode: z.string().openapi({ example: "2807" }),
    serviceName: nullableText.openapi({ example: "Pothole" }),
    title: nullableText,
    description: nullableText.openapi({ example: "Deep pothole near the tram stop." }),
    address: nullableText.openapi({ example: "Mannerheimintie 1, Helsinki" }),
    lat: z.number().nullable().optional().openapi({ example: 60.1699 }),
    long: z.number().nullable().optional().openapi({ example: 24.9384 }),
    mediaUrls: z.array(z.string()).optional(),
    requestedAt: nullableText.openapi({ example: "2026-11-20T08:15:00+02:00" }),
    dueAt: nullableText.openapi({ example: "2026-11-27T08:15:00+02:00" }),
    previousWorkOrderId: z.string().optional().openapi({
      description: "Rework: Silta's reference of the earlier work order on the same case whose work did not fix it.",
    }),
    reporterName: nullableText,
    reporterEmail: nullableText,
    reporterPhone: nullableText,
    status: z.string().openapi({
      example: "IN_PROGRESS",
      description: "Silta's status in upper case: SENT, RECEIVED, IN_PROGRESS, COMPLETED, …, CANCELLED.",
    }),
    cancelled: z.boolean().openapi({ example: false }),
    createdAt: z.string().openapi({ example: "2026-11-20T08:16:02.120Z" }),
    updatedAt: z.string().openapi({ example: "2026-11-20T09:01:44.871Z" }),
  })
  .openapi("WorkOrder", {
    description: "Optional fields appear only when the city shares them with this contractor; shared but empty is null.",
  });

export const FeedItemSchema = z
  .object({
    cursor: z.string().openapi({ example: "1042" }),
    type: z.enum(MESSAGE_TYPES).openapi({ example: "work_order.created" }),
    workOrder: WorkOrderStateSchema,
  })
  .openapi("FeedItem");

export const FeedPageSchema = z
  .object({
    items: z.array(FeedItemSchema),
    nextCursor: z.string().nullable().openapi({
      example: "1042",
      description:
        "The position to pass as `cursor` next time. On an empty page it is the cursor you sent (null if you sent none): keep polling with it.",
    }),
  })
  .openapi("FeedPage");

export const FeedQuerySchema = z.object({
  cursor: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, example: "1042", description: "`nextCursor` of the previous page." }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(100)
    .openapi({ param: { name: "limit", in: "query" }, example: 100 }),
});

export const WorkOrderParamsSchema = z.object({
  workOrderId: z
    .string()
    .min(1)
    .max(300)
    .openapi({ param: { name: "workOrderId", in: "path" }, example: EXAMPLE_ID }),
});

export const IdempotencyHeadersSchema = z.object({
  "idempotency-key": z
    .string({ error: "the Idempotency-Key header is required" })
    .regex(/^[\x21-\x7e]{1,200}$/, "Idempotency-Key must be 1–200 visible ASCII characters")
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      example: "CA-1042-received",
      description: "Unique per event; repeat it when retrying the same event.",
    }),
});

export const FieldEventBodySchema = z
  .object({
    status: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, "status must be a status code such as IN_PROGRESS")
      .openapi({ example: "IN_PROGRESS", description: `One of ${REPORTED_STATUS_CODES.join(", ")}.` }),
    occurredAt: z.iso.datetime({ offset: true }).openapi({ example: "2026-11-20T10:02:00+02:00" }),
    note: z.string().max(2000).optional().openapi({ example: "Crew on site." }),
  })
  .openapi("FieldEventInput");

export const EventAcceptedSchema = z
  .object({
    eventId: z.string().openapi({ example: "contractor-a:CA-1042-received" }),
    status: z.literal("accepted"),
  })
  .openapi("EventAccepted");

export const DeliveryQuerySchema = z.object({
  state: z
    .enum(["failed", "pending"])
    .default("failed")
    .openapi({
      param: { name: "state", in: "query" },
      example: "failed",
      description: "`failed`: given up (dead-lettered); `pending`: still being tried.",
    }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(100)
    .openapi({ param: { name: "limit", in: "query" }, example: 100 }),
});

export const DeliveryLogSchema = z
  .object({
    items: z.array(
      z.object({
        workOrderId: z.string().openapi({ example: EXAMPLE_ID }),
        kind: z.enum(["create_work_order", "cancel_work_order"]).openapi({ example: "create_work_order" }),
        state: z.enum(["dead", "pending", "running"]).openapi({ example: "dead" }),
        attempts: z.number().int().openapi({ example: 9 }),
        lastErrorCode: z.string().nullable().openapi({ example: "target_unavailable" }),
        lastHttpStatus: z.number().int().nullable().openapi({ example: 503 }),
        queuedAt: z.string().openapi({ example: "2026-11-20T08:16:02.120Z" }),
        lastAttemptAt: z.string().nullable(),
        nextAttemptAt: z.string().nullable(),
      }),
    ),
  })
  .openapi("DeliveryLog", { description: "Ids, codes and times only: no payloads." });

export const PhotoQuerySchema = z.object({
  kind: z
    .enum(["before", "after", "completion"])
    .default("completion")
    .openapi({
      param: { name: "kind", in: "query" },
      example: "after",
      description: "What the photo shows: before the work, after it, or the completed work.",
    }),
});

export const PhotoAcceptedSchema = z
  .object({
    photoId: z.number().int().openapi({ example: 17 }),
    kind: z.enum(["before", "after", "completion"]),
    state: z.string().openapi({
      example: "pending",
      description: "`pending` until a case handler reviews it; it is published to the case only if approved.",
    }),
    duplicate: z.boolean().openapi({ description: "The same photo was already on this case: nothing new was stored." }),
    contentType: z.string().openapi({ example: "image/jpeg" }),
    sizeBytes: z
      .number()
      .int()
      .openapi({ example: 183204, description: "After Silta removed the photo's metadata (location, camera)." }),
  })
  .openapi("PhotoAccepted");

export const PingSchema = z
  .object({
    ok: z.literal(true),
    contractor: z.string().openapi({ example: "contractor-east" }),
    apiVersion: z.string().openapi({ example: "1.1.0" }),
    time: z.string().openapi({ example: "2026-12-06T21:00:00.000Z" }),
  })
  .openapi("Ping");

export const SelfTestSchema = z
  .object({
    sent: z.object({ externalRef: z.string(), serviceRequestId: z.string(), serviceCode: z.string(), title: z.string() }),
    answer: z.union([
      z.object({ ok: z.literal(true), workOrderId: z.string(), statusCode: z.string(), ms: z.number() }),
      z.object({
        ok: z.literal(false),
        errorCode: z.string(),
        httpStatus: z.number().nullable(),
        message: z.string(),
        ms: z.number(),
      }),
    ]),
  })
  .openapi("SelfTest");
