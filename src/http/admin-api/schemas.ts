import { z } from "@hono/zod-openapi";
import { ERROR_CLASSES } from "../../kernel/errors.ts";
import { CANONICAL_STATUSES } from "../../kernel/status.ts";

const iso = z.string().openapi({ example: "2026-11-20T08:16:02.120Z" });
const isoOrNull = iso.nullable();
/** Database ids are 32-bit: a larger number is not an id (and must not reach SQL as one). */
const MAX_ID = 2_147_483_647;
const jobKind = z
  .enum(["create_work_order", "cancel_work_order", "write_back", "publish_photo"])
  .openapi({ example: "create_work_order" });

export const ActionResultSchema = z
  .object({
    ok: z.boolean(),
    subject: z.string().openapi({ example: "job:42" }),
    result: z.string().openapi({ example: "requeued" }),
    message: z.string(),
  })
  .openapi("ActionResult");

export const FailureSchema = z
  .object({
    jobId: z.number().int().openapi({ example: 42 }),
    kind: jobKind,
    target: z.string().openapi({ example: "stara" }),
    caseId: z.string().openapi({ example: "2026-00123" }),
    externalRef: z.string().nullable().openapi({ example: "helsinki:2026-00123:stara" }),
    workOrderId: z.string().nullable(),
    linkState: z.string().nullable().openapi({ example: "parked" }),
    state: z.enum(["pending", "running", "done", "dead", "skipped"]).openapi({ example: "dead" }),
    attempts: z.number().int().openapi({ example: 7 }),
    errorCode: z.string().nullable().openapi({ example: "target_auth_failed" }),
    errorClass: z.enum(ERROR_CLASSES).nullable().openapi({ example: "auth" }),
    httpStatus: z.number().int().nullable().openapi({ example: 401 }),
    reason: z.string().nullable().openapi({ example: "Stara answered 401" }),
    createdAt: iso,
    firstAttemptAt: isoOrNull,
    lastChangedAt: iso,
    nextRunAt: isoOrNull,
    acknowledged: z.object({ by: z.string(), note: z.string().nullable(), until: isoOrNull, active: z.boolean() }).nullable(),
  })
  .openapi("Failure");

export const PayloadPreviewSchema = z
  .object({
    kind: jobKind,
    destination: z.string().openapi({ example: "stara" }),
    body: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "Allowlisted and scrubbed; reporter fields redacted." }),
    note: z.string().nullable(),
  })
  .openapi("PayloadPreview");

export const FailureDetailSchema = z.object({ failure: FailureSchema, payload: PayloadPreviewSchema }).openapi("FailureDetail");

export const FailureListSchema = z.object({ items: z.array(FailureSchema) }).openapi("FailureList");

export const FailureQuerySchema = z.object({
  target: z
    .string()
    .max(100)
    .optional()
    .openapi({ param: { name: "target", in: "query" }, example: "stara" }),
  errorClass: z
    .enum(ERROR_CLASSES)
    .optional()
    .openapi({ param: { name: "errorClass", in: "query" }, example: "auth" }),
  errorCode: z
    .string()
    .max(100)
    .optional()
    .openapi({ param: { name: "errorCode", in: "query" }, example: "target_auth_failed" }),
  state: z
    .enum(["dead", "retrying", "skipped"])
    .optional()
    .openapi({ param: { name: "state", in: "query" }, example: "dead" }),
  kind: jobKind.optional().openapi({ param: { name: "kind", in: "query" } }),
  minAgeMinutes: z.coerce
    .number()
    .int()
    .min(0)
    .max(525_600)
    .optional()
    .openapi({ param: { name: "minAgeMinutes", in: "query" }, example: 60 }),
  q: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: "q", in: "query" }, example: "2026-00123", description: "Free text over ids and error text." }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .openapi({ param: { name: "limit", in: "query" }, example: 100 }),
});

export const JobParamsSchema = z.object({
  jobId: z.coerce
    .number()
    .int()
    .positive()
    .max(MAX_ID)
    .openapi({ param: { name: "jobId", in: "path" }, example: 42 }),
});

export const SkipBodySchema = z
  .object({ note: z.string().max(500).optional().openapi({ example: "duplicate case, handled by phone" }) })
  .openapi("SkipRequest");

export const AcknowledgeBodySchema = z
  .object({
    note: z.string().min(1).max(500).openapi({ example: "Stara's API key is being renewed; re-drive on Monday" }),
    until: z.iso
      .datetime({ offset: true })
      .nullable()
      .optional()
      .openapi({ example: "2026-11-24T08:00:00Z", description: "Silenced until then; absent: until it changes." }),
  })
  .openapi("AcknowledgeRequest");

export const BulkReplayBodySchema = z
  .object({
    dryRun: z.boolean().default(true).openapi({ description: "Show what would be sent; change nothing. Defaults to true." }),
    jobIds: z
      .array(z.number().int().positive().max(MAX_ID))
      .max(1000)
      .optional()
      .openapi({ example: [42, 43] }),
    filter: z
      .object({
        target: z.string().max(100).optional(),
        errorClass: z.enum(ERROR_CLASSES).optional(),
        errorCode: z.string().max(100).optional(),
        kind: jobKind.optional(),
        minAgeMinutes: z.number().int().min(0).max(525_600).optional(),
        q: z.string().max(200).optional(),
      })
      .optional()
      .openapi({ example: { target: "stara", errorCode: "target_auth_failed" } }),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .refine((b) => b.jobIds !== undefined || b.filter !== undefined, "give jobIds or a filter")
  .openapi("BulkReplayRequest");

export const BulkReplayResultSchema = z
  .object({
    dryRun: z.boolean(),
    matched: z.number().int(),
    items: z.array(
      z.object({
        jobId: z.number().int(),
        caseId: z.string(),
        target: z.string(),
        kind: jobKind,
        errorCode: z.string().nullable(),
        attempts: z.number().int(),
        payload: PayloadPreviewSchema.optional(),
      }),
    ),
    results: z.array(ActionResultSchema),
  })
  .openapi("BulkReplayResult");

const SlaSchema = z
  .object({
    state: z.enum(["on_track", "due_soon", "overdue", "met", "missed", "not_applicable"]).openapi({ example: "on_track" }),
    dueAt: isoOrNull,
    completeDays: z.number().int().nullable().openapi({ example: 7 }),
  })
  .openapi("Sla");

export const CaseViewSchema = z
  .object({
    serviceRequestId: z.string().openapi({ example: "2026-00123" }),
    serviceCode: z.string().openapi({ example: "2807" }),
    caseStatus: z.string().openapi({ example: "open" }),
    disposition: z.string().openapi({ example: "routed" }),
    dispositionReason: z.string().nullable(),
    duplicateOf: z
      .string()
      .nullable()
      .openapi({ description: "The case whose work order this duplicate shares; its work orders are shown." }),
    lastSyncedAt: isoOrNull,
    workOrders: z.array(
      z.object({
        target: z.string(),
        targetName: z.string().nullable(),
        workOrderId: z.string().nullable(),
        externalRef: z.string(),
        delivery: z.string(),
        fieldStatus: z.enum(CANONICAL_STATUSES),
        fieldStatusCode: z.string().nullable(),
        fieldStatusAt: isoOrNull,
        writtenBack: z.enum(CANONICAL_STATUSES).nullable(),
        writtenBackAt: isoOrNull,
        parkedReason: z.string().nullable(),
        lastSyncedAt: isoOrNull,
        sla: SlaSchema,
      }),
    ),
    timeline: z.array(
      z.object({
        at: iso,
        direction: z.string().openapi({ example: "target_out" }),
        operation: z.string().openapi({ example: "create_work_order" }),
        target: z.string().nullable(),
        outcome: z.string().openapi({ example: "ok" }),
        errorCode: z.string().nullable(),
        httpStatus: z.number().int().nullable(),
        attempt: z.number().int().nullable(),
        latencyMs: z.number().int().nullable(),
        idempotencyKey: z.string().nullable(),
        payloadHash: z.string().nullable(),
        detail: z.string().nullable(),
      }),
    ),
  })
  .openapi("CaseView");

export const CaseParamsSchema = z.object({
  caseId: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: "caseId", in: "path" }, example: "2026-00123" }),
});

const count = z.number().int();
export const OverviewSchema = z
  .object({
    generatedAt: iso,
    jobs: z.array(z.object({ target: z.string(), kind: z.string(), state: z.string(), n: count })),
    links: z.array(z.object({ target: z.string(), state: z.string(), n: count })),
    backlog: z.array(z.object({ target: z.string(), pending: count, oldestAgeSeconds: count })),
    deadLetters: z.array(z.object({ target: z.string(), n: count, acknowledged: count })),
    openFindings: z.array(z.object({ kind: z.string(), n: count })),
    quarantinedCodes: z.array(z.object({ target: z.string(), code: z.string(), n: count })),
    funnel: z.array(
      z.object({
        target: z.string(),
        sent: count,
        received: count,
        inProgress: count,
        completed: count,
        slaHitRate: z.number().nullable().openapi({ example: 0.93 }),
        overdue: count,
      }),
    ),
  })
  .openapi("Overview");

export const QuarantinedCodesSchema = z
  .object({
    items: z.array(
      z.object({
        target: z.string().openapi({ example: "stara" }),
        code: z.string().openapi({ example: "ODOTTAA_OSIA" }),
        events: count,
        firstReceivedAt: iso,
        lastReceivedAt: iso,
        override: z.enum(CANONICAL_STATUSES).nullable(),
      }),
    ),
  })
  .openapi("QuarantinedCodes");

export const MapCodeBodySchema = z
  .object({
    target: z.string().min(1).max(100).openapi({ example: "stara" }),
    code: z.string().min(1).max(100).openapi({ example: "ODOTTAA_OSIA" }),
    canonical: z.enum(CANONICAL_STATUSES).openapi({ example: "in_progress" }),
    redrive: z.boolean().default(true).openapi({ description: "Release and apply the events the code held." }),
  })
  .openapi("MapStatusCodeRequest");

export const MapCodeResultSchema = ActionResultSchema.extend({
  released: count,
  applied: z.record(z.string(), count).nullable(),
}).openapi("MapStatusCodeResult");

export const FindingsSchema = z
  .object({
    items: z.array(
      z.object({
        id: count,
        kind: z.string().openapi({ example: "missing_in_target" }),
        subject: z.string(),
        caseId: z.string().nullable(),
        target: z.string().nullable(),
        detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
        suggestedAction: z.string(),
        autoRepairable: z.boolean(),
        repairAttempts: count,
        firstSeenAt: iso,
        lastSeenAt: iso,
      }),
    ),
  })
  .openapi("Findings");

export const ContractorParamsSchema = z.object({
  target: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "target", in: "path" }, example: "contractor-east" }),
});

export const KeyParamsSchema = ContractorParamsSchema.extend({
  keyId: z.coerce
    .number()
    .int()
    .positive()
    .max(MAX_ID)
    .openapi({ param: { name: "keyId", in: "path" }, example: 3 }),
});

export const ContractorKeysSchema = z
  .object({
    items: z.array(
      z.object({ id: count, label: z.string().nullable(), createdAt: iso, revokedAt: isoOrNull, fingerprint: z.string() }),
    ),
  })
  .openapi("ContractorKeys");

export const IssueKeyBodySchema = z
  .object({ label: z.string().max(100).optional().openapi({ example: "2026 rotation" }) })
  .openapi("IssueKeyRequest");

export const IssuedKeySchema = z
  .object({
    id: count,
    target: z.string(),
    key: z.string().openapi({ description: "Shown once; only its hash is stored.", example: "silta_3q2…" }),
  })
  .openapi("IssuedKey");

export const AuditListSchema = z
  .object({
    items: z.array(
      z.object({
        id: count,
        at: iso,
        actor: z.string(),
        action: z.string(),
        subject: z.string(),
        detail: z.record(z.string(), z.unknown()),
        result: z.string(),
      }),
    ),
  })
  .openapi("AuditEvents");

export const AuditQuerySchema = z.object({
  subject: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: "subject", in: "query" }, example: "job:42" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .openapi({ param: { name: "limit", in: "query" } }),
});

export const TargetHealthListSchema = z
  .object({
    items: z.array(
      z.object({
        target: z.string().openapi({ example: "contractor-west" }),
        name: z.string(),
        state: z.enum(["ok", "degraded", "down", "paused"]),
        failing: z.number().int(),
        waiting: z.number().int(),
        oldestAgeSeconds: z.number().int(),
        lastError: z.string().nullable(),
        pause: z.object({ reason: z.string(), until: isoOrNull, pausedBy: z.string() }).nullable(),
      }),
    ),
  })
  .openapi("TargetHealthList");

export const PauseBodySchema = z
  .object({
    reason: z.string().min(1).max(500).openapi({ example: "planned ERP maintenance; ask Stara's duty desk" }),
    until: z.iso
      .datetime({ offset: true })
      .nullable()
      .optional()
      .openapi({ example: "2026-12-07T06:00:00Z", description: "The pause ends by itself then; absent: until resumed." }),
  })
  .openapi("PauseRequest");
