import { createRoute, type z } from "@hono/zod-openapi";
import { errorContent } from "../contractor-api/api-errors.ts";
import {
  AcknowledgeBodySchema,
  ActionResultSchema,
  AuditListSchema,
  AuditQuerySchema,
  BulkReplayBodySchema,
  BulkReplayResultSchema,
  CaseParamsSchema,
  CaseViewSchema,
  ContractorKeysSchema,
  ContractorParamsSchema,
  FailureDetailSchema,
  FailureListSchema,
  FailureQuerySchema,
  FindingsSchema,
  IssuedKeySchema,
  IssueKeyBodySchema,
  JobParamsSchema,
  KeyParamsSchema,
  MapCodeBodySchema,
  MapCodeResultSchema,
  OverviewSchema,
  PauseBodySchema,
  QuarantinedCodesSchema,
  SkipBodySchema,
  TargetHealthListSchema,
} from "./schemas.ts";

const security = [{ AdminBearer: [] }];

/** Errors every admin route can answer with. */
const adminErrors = {
  400: errorContent("The request is invalid (parameters or body)."),
  401: {
    ...errorContent("Missing or invalid admin token."),
    headers: { "WWW-Authenticate": { schema: { type: "string" as const }, description: "`Bearer`" } },
  },
  403: errorContent("The token is valid but not an admin's (e.g. a contractor's API key)."),
  408: errorContent("The body did not arrive within the read deadline."),
  413: errorContent("The body is larger than 64 KiB."),
  429: {
    ...errorContent("Too many requests with this token; wait `Retry-After` seconds."),
    headers: { "Retry-After": { schema: { type: "integer" as const }, description: "Seconds to wait before trying again." } },
  },
  500: errorContent("Silta failed; the request id is in the logs."),
};
const notFound = { 404: errorContent("No such subject.") };
const notApplicable = { 409: errorContent("The subject is not in a state this action applies to; nothing changed.") };

function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}
function body<T extends z.ZodType>(schema: T, example?: unknown) {
  return { required: true, content: { "application/json": { schema, ...(example ? { example } : {}) } } };
}

export const getOverviewRoute = createRoute({
  method: "get",
  path: "/overview",
  operationId: "getOverview",
  tags: ["overview"],
  summary: "Counts, backlog, dead letters, findings, quarantine and the contractor funnel",
  security,
  responses: { 200: json(OverviewSchema, "The overview."), ...adminErrors },
});

export const listFailuresRoute = createRoute({
  method: "get",
  path: "/failures",
  operationId: "listFailures",
  tags: ["failures"],
  summary: "Failed deliveries: dead letters and jobs waiting for a retry",
  security,
  request: { query: FailureQuerySchema },
  responses: { 200: json(FailureListSchema, "Matching failures, newest change first."), ...adminErrors },
});

export const getFailureRoute = createRoute({
  method: "get",
  path: "/failures/{jobId}",
  operationId: "getFailure",
  tags: ["failures"],
  summary: "One failure with the (redacted) payload it would send now",
  security,
  request: { params: JobParamsSchema },
  responses: { 200: json(FailureDetailSchema, "The failure and its payload."), ...adminErrors, ...notFound },
});

export const retryFailureRoute = createRoute({
  method: "post",
  path: "/failures/{jobId}/retry",
  operationId: "retryFailureNow",
  tags: ["failures"],
  summary: "Retry a waiting job now instead of at its next backoff slot",
  security,
  request: { params: JobParamsSchema },
  responses: { 200: json(ActionResultSchema, "Scheduled now."), ...adminErrors, ...notFound, ...notApplicable },
});

export const replayFailureRoute = createRoute({
  method: "post",
  path: "/failures/{jobId}/replay",
  operationId: "replayFailure",
  tags: ["failures"],
  summary: "Replay one dead or skipped job",
  description: "A create first looks the work order up by its external reference, so a replay never duplicates one.",
  security,
  request: { params: JobParamsSchema },
  responses: { 200: json(ActionResultSchema, "Queued again."), ...adminErrors, ...notFound, ...notApplicable },
});

export const bulkReplayRoute = createRoute({
  method: "post",
  path: "/failures/replay",
  operationId: "replayFailures",
  tags: ["failures"],
  summary: "Replay dead letters in bulk (dry run by default)",
  description: "Select by ids or by filter, e.g. every `target_auth_failed` of a target after its credential was fixed.",
  security,
  request: { body: body(BulkReplayBodySchema, { dryRun: true, filter: { target: "stara", errorCode: "target_auth_failed" } }) },
  responses: { 200: json(BulkReplayResultSchema, "What matched and, unless a dry run, what happened."), ...adminErrors },
});

export const skipFailureRoute = createRoute({
  method: "post",
  path: "/failures/{jobId}/skip",
  operationId: "skipFailure",
  tags: ["failures"],
  summary: "Mark a pending or dead job skipped (it will not be sent)",
  security,
  request: { params: JobParamsSchema, body: body(SkipBodySchema, { note: "handled by phone" }) },
  responses: { 200: json(ActionResultSchema, "Skipped."), ...adminErrors, ...notFound, ...notApplicable },
});

export const acknowledgeFailureRoute = createRoute({
  method: "post",
  path: "/failures/{jobId}/acknowledge",
  operationId: "acknowledgeFailure",
  tags: ["failures"],
  summary: "Acknowledge a failure with a note and an expiry",
  security,
  request: { params: JobParamsSchema, body: body(AcknowledgeBodySchema) },
  responses: { 200: json(ActionResultSchema, "Acknowledged."), ...adminErrors, ...notFound, ...notApplicable },
});

export const getCaseTimelineRoute = createRoute({
  method: "get",
  path: "/cases/{caseId}",
  operationId: "getCaseTimeline",
  tags: ["cases"],
  summary: "A case's work orders, SLA and every ledger entry in both directions",
  security,
  request: { params: CaseParamsSchema },
  responses: { 200: json(CaseViewSchema, "The case."), ...adminErrors, ...notFound },
});

export const listQuarantinedCodesRoute = createRoute({
  method: "get",
  path: "/quarantine",
  operationId: "listQuarantinedCodes",
  tags: ["quarantine"],
  summary: "Status codes held in quarantine",
  security,
  responses: { 200: json(QuarantinedCodesSchema, "Held codes and their event counts."), ...adminErrors },
});

export const mapStatusCodeRoute = createRoute({
  method: "post",
  path: "/quarantine/mappings",
  operationId: "mapStatusCode",
  tags: ["quarantine"],
  summary: "Map a quarantined code to a canonical status and re-drive its held events",
  security,
  request: { body: body(MapCodeBodySchema, { target: "stara", code: "ODOTTAA_OSIA", canonical: "in_progress", redrive: true }) },
  responses: { 200: json(MapCodeResultSchema, "Mapped; held events re-driven."), ...adminErrors },
});

export const listFindingsRoute = createRoute({
  method: "get",
  path: "/findings",
  operationId: "listOpenFindings",
  tags: ["reconciliation"],
  summary: "Open reconciliation findings",
  security,
  responses: { 200: json(FindingsSchema, "Open findings, newest first."), ...adminErrors },
});

export const listContractorKeysRoute = createRoute({
  method: "get",
  path: "/contractors/{target}/keys",
  operationId: "listContractorKeys",
  tags: ["contractors"],
  summary: "A contractor's API keys (fingerprints only)",
  security,
  request: { params: ContractorParamsSchema },
  responses: { 200: json(ContractorKeysSchema, "Keys, newest first."), ...adminErrors },
});

export const issueContractorKeyRoute = createRoute({
  method: "post",
  path: "/contractors/{target}/keys",
  operationId: "issueContractorKey",
  tags: ["contractors"],
  summary: "Issue a new API key for a contractor (rotation: old keys work until revoked)",
  security,
  request: { params: ContractorParamsSchema, body: body(IssueKeyBodySchema, { label: "2026 rotation" }) },
  responses: { 201: json(IssuedKeySchema, "The new key, shown once."), ...adminErrors, ...notFound },
});

export const revokeContractorKeyRoute = createRoute({
  method: "delete",
  path: "/contractors/{target}/keys/{keyId}",
  operationId: "revokeContractorKey",
  tags: ["contractors"],
  summary: "Revoke one of a contractor's API keys (at once here, within 5 s in other Silta processes)",
  security,
  request: { params: KeyParamsSchema },
  responses: { 200: json(ActionResultSchema, "Revoked."), ...adminErrors, ...notFound },
});

export const listAuditEventsRoute = createRoute({
  method: "get",
  path: "/audit",
  operationId: "listAuditEvents",
  tags: ["audit"],
  summary: "Recent audit rows (every admin action)",
  security,
  request: { query: AuditQuerySchema },
  responses: { 200: json(AuditListSchema, "Newest first."), ...adminErrors },
});

export const listTargetsRoute = createRoute({
  method: "get",
  path: "/targets",
  operationId: "listTargets",
  tags: ["targets"],
  summary: "Every target's health (ok, degraded, down, paused) and waiting work",
  security,
  responses: { 200: json(TargetHealthListSchema, "Targets, by id."), ...adminErrors },
});

export const pauseTargetRoute = createRoute({
  method: "post",
  path: "/targets/{target}/pause",
  operationId: "pauseTarget",
  tags: ["targets"],
  summary: "Pause a target: its jobs wait without spending retries until it resumes or `until` passes",
  security,
  request: { params: ContractorParamsSchema, body: body(PauseBodySchema) },
  responses: { 200: json(ActionResultSchema, "Paused."), ...adminErrors, ...notFound, ...notApplicable },
});

export const resumeTargetRoute = createRoute({
  method: "post",
  path: "/targets/{target}/resume",
  operationId: "resumeTarget",
  tags: ["targets"],
  summary: "Resume a paused target: its waiting jobs go out at once, oldest first",
  security,
  request: { params: ContractorParamsSchema },
  responses: { 200: json(ActionResultSchema, "Resumed."), ...adminErrors, ...notFound, ...notApplicable },
});

/** Every documented admin route, for the tests that walk them all. */
export const adminApiRoutes = [
  getOverviewRoute,
  listFailuresRoute,
  getFailureRoute,
  retryFailureRoute,
  replayFailureRoute,
  bulkReplayRoute,
  skipFailureRoute,
  acknowledgeFailureRoute,
  getCaseTimelineRoute,
  listQuarantinedCodesRoute,
  mapStatusCodeRoute,
  listFindingsRoute,
  listContractorKeysRoute,
  issueContractorKeyRoute,
  revokeContractorKeyRoute,
  listAuditEventsRoute,
  listTargetsRoute,
  pauseTargetRoute,
  resumeTargetRoute,
] as const;
