import { z } from "zod";
import { CANONICAL_STATUSES } from "../kernel/status.ts";
import { OPEN311_UPDATE_STATUSES } from "../ports/case-system.ts";

/** Fields of a work order a target may receive; everything else stays inside Silta. */
export const ALLOWLIST_FIELDS = [
  "serviceName",
  "title",
  "description",
  "address",
  "location",
  "mediaUrls",
  "requestedAt",
  "dueAt",
  "reporterName",
  "reporterEmail",
  "reporterPhone",
] as const;
export type AllowlistField = (typeof ALLOWLIST_FIELDS)[number];

export const TARGET_KINDS = ["stara", "contractor-api"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

const canonical = z.enum(CANONICAL_STATUSES);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date as YYYY-MM-DD");
const targetId = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "expected lower-case letters, digits and hyphens");

export const targetsFileSchema = z.strictObject({
  version: z.literal(1),
  targets: z
    .array(
      z.strictObject({
        id: targetId,
        kind: z.enum(TARGET_KINDS),
        name: z.string().min(1),
        statusTable: z.string().min(1),
        allowlist: z.array(z.enum(ALLOWLIST_FIELDS)),
        sla: z.strictObject({
          acknowledgeMinutes: z.number().positive(),
          completeDays: z.number().positive(),
          /** A work order whose status has not moved for this long is stale (default: half of completeDays). */
          progressHours: z.number().positive().optional(),
          /** A late-answer warning this many days after the report, before the breach (default: completeDays - 2, at least 1). */
          warnDays: z.number().positive().optional(),
          /** Per service code, where a service's promise differs from the target's (e.g. snow: 1 day). */
          services: z
            .record(
              z.string().min(1),
              z.strictObject({ completeDays: z.number().positive(), warnDays: z.number().positive().optional() }),
            )
            .optional(),
        }),
        /** How Silta treats this target; every field optional, absent means the safe default. */
        policy: z
          .strictObject({
            /** The target de-duplicates creates by Idempotency-Key: a retry after a clear failure needs no lookup first. */
            honoursIdempotencyKey: z.boolean().optional(),
            /** This target's circuit breaker, where it differs from the engine's default. */
            breaker: z
              .strictObject({
                failureThreshold: z.number().int().min(1).optional(),
                openMs: z.number().int().min(100).optional(),
              })
              .optional(),
            /**
             * When the target is paused or has failed for `afterMinutes`, its new work orders go by
             * e-mail to `email` instead (and to the target too once it is back, looked up first).
             */
            fallback: z.strictObject({ email: z.email(), afterMinutes: z.number().min(0) }).optional(),
          })
          .optional(),
      }),
    )
    .min(1, "at least one target is needed"),
});

export const routingFileSchema = z.strictObject({
  version: z.literal(1),
  city: z.string().regex(/^[a-z][a-z0-9-]*$/),
  areas: z.string().min(1),
  fieldWorkServiceCodes: z.array(z.string().min(1)).min(1),
  handedElsewhere: z.enum(["exclude", "route"]),
  cityCancelDeskStatuses: z.array(z.string().min(1)),
  /** Desk states that mean "not fixed": the finished work is done again in a new cycle. */
  cityReworkDeskStatuses: z.array(z.string().min(1)).default([]),
  rules: z.array(
    z.strictObject({
      id: z.string().min(1),
      description: z.string().optional(),
      serviceCodes: z.array(z.string().min(1)).min(1),
      areas: z.array(z.string().min(1)).min(1).optional(),
      validFrom: isoDate.optional(),
      validTo: isoDate.optional(),
      target: targetId,
    }),
  ),
  fallback: z.strictObject({ target: targetId }),
});

export const statusTableSchema = z.strictObject({
  version: z.literal(1),
  inbound: z.record(z.string().min(1), canonical),
  outbound: z.partialRecord(canonical, z.string().min(1)),
});

const note = z.strictObject({ fi: z.string().min(1), en: z.string().min(1) });
export const writebackFileSchema = z.strictObject({
  version: z.literal(1),
  locale: z.enum(["fi", "en"]),
  statuses: z.partialRecord(
    canonical,
    z.strictObject({
      open311: z.enum(OPEN311_UPDATE_STATUSES),
      works: z.string().regex(/^PUBLIC_WORKS_[A-Z_]+$/),
      note,
    }),
  ),
});

const position = z.tuple([z.number(), z.number()]).rest(z.number());
export const areasFileSchema = z.object({
  type: z.literal("FeatureCollection"),
  features: z.array(
    z.object({
      type: z.literal("Feature"),
      properties: z.looseObject({ name: z.string().min(1) }),
      geometry: z.discriminatedUnion("type", [
        z.object({ type: z.literal("Polygon"), coordinates: z.array(z.array(position).min(4)) }),
        z.object({ type: z.literal("MultiPolygon"), coordinates: z.array(z.array(z.array(position).min(4))) }),
      ]),
    }),
  ),
});
