import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ActionResult } from "../../domain/admin/actor.ts";
import { listAuditEvents } from "../../domain/admin/audit.ts";
import { caseView } from "../../domain/admin/case-view.ts";
import { listContractorKeys, revokeContractorKey, rotateContractorKey } from "../../domain/admin/contractor-keys.ts";
import { failureDetail } from "../../domain/admin/failure-detail.ts";
import { listFailures } from "../../domain/admin/failures.ts";
import { listOpenFindings } from "../../domain/admin/findings.ts";
import { acknowledgeJob, replayJob, replayJobs, retryJobNow, skipJob } from "../../domain/admin/job-actions.ts";
import { readOverview } from "../../domain/admin/overview.ts";
import { listQuarantinedCodes, mapQuarantinedCode } from "../../domain/admin/quarantine.ts";
import { readTargetHealth } from "../../domain/admin/target-health.ts";
import type { SiltaDeps } from "../../domain/deps.ts";
import { pauseTarget, resumeTarget } from "../../domain/target-pauses.ts";
import { type AdminApiEnv, adminBearerAuth } from "../auth/admin-bearer.ts";
import { bearerToken, type TokenSet } from "../auth/tokens.ts";
import { errorBody } from "../contractor-api/api-errors.ts";
import { createHttpApp } from "../create-http-app.ts";
import { INBOUND_LIMITS, limitedBody } from "../limits/inbound-limits.ts";
import { credentialFingerprint, type RateLimiter, rateLimit } from "../limits/rate-limit.ts";
import { serveOpenApiDocument } from "../openapi-document.ts";
import * as routes from "./routes.ts";

export const ADMIN_API_BASE_PATH = "/api/admin/v1";
const ADMIN_BODY_LIMIT = INBOUND_LIMITS.adminBodyBytes;

export interface AdminApiOptions {
  /** Token bucket per admin token (by fingerprint), taken before the token is checked; absent: no limit. */
  rateLimiter?: RateLimiter;
  /** How long a body may take to arrive. */
  bodyReadTimeoutMs?: number;
}

/** Maps an action's outcome to its HTTP answer: 200 when done, 404/409/400 when nothing changed. */
function actionStatus(result: ActionResult): 200 | 404 | 409 | 400 {
  if (result.ok) return 200;
  if (result.result === "not_found") return 404;
  if (result.result === "invalid") return 400;
  return 409;
}

/**
 * The admin API (`/api/admin/v1`): every route needs an admin bearer token and calls the same
 * domain functions as the console; every action writes an audit row in its own transaction.
 * `/openapi.json` serves the OpenAPI 3.1 document, `/docs` a readable page of it.
 */
export function createAdminApi(
  deps: SiltaDeps,
  tokens: TokenSet,
  isContractorKey: (token: string) => Promise<boolean>,
  options: AdminApiOptions = {},
): OpenAPIHono<AdminApiEnv> {
  const app = createHttpApp<AdminApiEnv>({ log: deps.log });
  const auth = adminBearerAuth(tokens, isContractorKey);
  const limit = limitedBody({
    maxBytes: ADMIN_BODY_LIMIT,
    maxJsonDepth: INBOUND_LIMITS.jsonMaxDepth,
    ...(options.bodyReadTimeoutMs ? { readTimeoutMs: options.bodyReadTimeoutMs } : {}),
  });
  const { rateLimiter } = options;
  const limitPerToken = rateLimiter
    ? rateLimit(
        rateLimiter,
        async (c) => {
          const token = bearerToken(c.req.header("authorization"));
          return token ? `token:${await credentialFingerprint(token)}` : null;
        },
        "with this admin token",
      )
    : null;
  // "/x/*" matches "/x" too: listing both would run auth and the limits twice.
  for (const path of [
    "/overview",
    "/failures/*",
    "/cases/*",
    "/quarantine/*",
    "/findings",
    "/contractors/*",
    "/audit",
    "/targets/*",
  ]) {
    if (limitPerToken) app.use(path, limitPerToken);
    app.use(path, auth, limit);
  }

  app.openapi(routes.getOverviewRoute, async (c) => c.json(await readOverview(deps.database, deps.mappings, deps.now()), 200));

  app.openapi(routes.listFailuresRoute, async (c) => {
    const query = c.req.valid("query");
    return c.json({ items: await listFailures(deps.database, query, deps.now()) }, 200);
  });

  app.openapi(routes.getFailureRoute, async (c) => {
    const detail = await failureDetail(deps, c.req.valid("param").jobId);
    return detail ? c.json(detail, 200) : c.json(errorBody(c, "not_found", "no such job"), 404);
  });

  app.openapi(routes.retryFailureRoute, async (c) => {
    const result = await retryJobNow(deps, c.get("actor"), c.req.valid("param").jobId);
    return result.ok ? c.json(result, 200) : actionError(c, result);
  });

  app.openapi(routes.replayFailureRoute, async (c) => {
    const result = await replayJob(deps, c.get("actor"), c.req.valid("param").jobId);
    return result.ok ? c.json(result, 200) : actionError(c, result);
  });

  app.openapi(routes.bulkReplayRoute, async (c) => {
    const input = c.req.valid("json");
    const result = await replayJobs(deps, c.get("actor"), {
      dryRun: input.dryRun,
      ...(input.jobIds ? { jobIds: input.jobIds } : {}),
      ...(input.filter ? { filter: input.filter } : {}),
      ...(input.limit ? { limit: input.limit } : {}),
    });
    return c.json(result, 200);
  });

  app.openapi(routes.skipFailureRoute, async (c) => {
    const result = await skipJob(deps, c.get("actor"), c.req.valid("param").jobId, c.req.valid("json").note ?? null);
    return result.ok ? c.json(result, 200) : actionError(c, result);
  });

  app.openapi(routes.acknowledgeFailureRoute, async (c) => {
    const input = c.req.valid("json");
    const result = await acknowledgeJob(deps, c.get("actor"), c.req.valid("param").jobId, {
      note: input.note,
      until: input.until ? new Date(input.until) : null,
    });
    return result.ok ? c.json(result, 200) : actionError(c, result);
  });

  app.openapi(routes.getCaseTimelineRoute, async (c) => {
    const { caseId } = c.req.valid("param");
    const view = await caseView(deps.database, deps.mappings, caseId, deps.now());
    return view ? c.json(view, 200) : c.json(errorBody(c, "not_found", "Silta has no such case"), 404);
  });

  app.openapi(routes.listQuarantinedCodesRoute, async (c) => c.json({ items: await listQuarantinedCodes(deps.database) }, 200));

  app.openapi(routes.mapStatusCodeRoute, async (c) => {
    const input = c.req.valid("json");
    const result = await mapQuarantinedCode(deps, c.get("actor"), input);
    if (!result.ok) return c.json(errorBody(c, "invalid_request", result.message), 400);
    return c.json({ ...result, applied: result.applied ? { ...result.applied } : null }, 200);
  });

  app.openapi(routes.listFindingsRoute, async (c) => c.json({ items: await listOpenFindings(deps.database) }, 200));

  app.openapi(routes.listContractorKeysRoute, async (c) =>
    c.json({ items: await listContractorKeys(deps.database, c.req.valid("param").target) }, 200),
  );

  app.openapi(routes.issueContractorKeyRoute, async (c) => {
    const { target } = c.req.valid("param");
    const issued = await rotateContractorKey(
      deps.database,
      deps.mappings,
      c.get("actor"),
      target,
      c.req.valid("json").label ?? null,
    );
    if (!issued.ok) return c.json(errorBody(c, "not_found", issued.message), 404);
    c.header("Cache-Control", "no-store");
    return c.json({ id: issued.id, target: issued.target, key: issued.key }, 201);
  });

  app.openapi(routes.listTargetsRoute, async (c) => {
    return c.json({ items: await readTargetHealth(deps.database, deps.mappings, { includeIdle: true }) }, 200);
  });

  app.openapi(routes.pauseTargetRoute, async (c) => {
    const input = c.req.valid("json");
    const result = await pauseTarget(deps, c.get("actor"), c.req.valid("param").target, {
      reason: input.reason,
      until: input.until ? new Date(input.until) : null,
    });
    return result.ok ? c.json(result, 200) : actionError(c, result);
  });

  app.openapi(routes.resumeTargetRoute, async (c) => {
    const result = await resumeTarget(deps, c.get("actor"), c.req.valid("param").target);
    return result.ok ? c.json(result, 200) : actionError(c, result);
  });

  app.openapi(routes.revokeContractorKeyRoute, async (c) => {
    const { target, keyId } = c.req.valid("param");
    const result = await revokeContractorKey(deps.database, c.get("actor"), target, keyId);
    return result.ok ? c.json(result, 200) : c.json(errorBody(c, "not_found", result.message), 404);
  });

  app.openapi(routes.listAuditEventsRoute, async (c) => {
    const query = c.req.valid("query");
    return c.json(
      {
        items: await listAuditEvents(deps.database, { ...(query.subject ? { subject: query.subject } : {}), limit: query.limit }),
      },
      200,
    );
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "AdminBearer", {
    type: "http",
    scheme: "bearer",
    description: "An admin token from SILTA_ADMIN_TOKENS. Contractor API keys answer 403.",
  });
  const documentConfig = {
    openapi: "3.1.0",
    info: {
      title: "Silta admin API",
      version: "1.0.0",
      description:
        "Failures and dead letters (retry, replay with dry run, skip, acknowledge), case timelines, quarantined status codes, reconciliation findings, contractor keys and the audit log. Every action leaves an audit row.",
    },
    servers: [{ url: ADMIN_API_BASE_PATH }],
    tags: [
      { name: "overview", description: "Counts and health at a glance." },
      { name: "failures", description: "Failed deliveries and what to do about them." },
      { name: "cases", description: "One case across both directions." },
      { name: "quarantine", description: "Status codes no table maps yet." },
      { name: "reconciliation", description: "Drift found between Silta and the systems." },
      { name: "contractors", description: "Contractor API keys." },
      { name: "audit", description: "Who did what." },
    ],
  };
  // Built once, at the first request for it, then served from memory.
  serveOpenApiDocument(app, documentConfig, `${ADMIN_API_BASE_PATH}/openapi.json`);
  return app;
}

function actionError(c: Parameters<typeof errorBody>[0], result: ActionResult) {
  const status = actionStatus(result);
  const code = status === 404 ? "not_found" : status === 400 ? "invalid_request" : "conflict";
  return c.json(errorBody(c, code, result.message), status as 404 | 409 | 400);
}
