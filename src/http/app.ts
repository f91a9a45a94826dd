import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { PhotoKind } from "../db/schema/index.ts";
import { consoleSessionStore } from "../domain/admin/console-sessions.ts";
import { listContractorDeliveries } from "../domain/admin/delivery-log.ts";
import { createContractorGateway } from "../domain/contractor-gateway.ts";
import { runContractorSelfTest } from "../domain/contractor-self-test.ts";
import type { SiltaDeps } from "../domain/deps.ts";
import { handlerSetsDuplicate } from "../domain/duplicates.ts";
import { recordFieldEvents } from "../domain/field-status/apply-events.ts";
import { receivePhoto } from "../domain/photos/receive-photo.ts";
import { listCasePhotos, readPhoto, reviewPhoto } from "../domain/photos/review-photo.ts";
import { requestRework } from "../domain/rework.ts";
import { isSiltaError } from "../kernel/errors.ts";
import { sha256Hex } from "../lib/hash.ts";
import { createForwardedReader, type TrustedProxies } from "../lib/trusted-proxy.ts";
import { headerMap } from "../lib/webhook-signature.ts";
import type { FieldEvent } from "../ports/work-order-system.ts";
import { registerAccessibilityStatement } from "./accessibility-statement.ts";
import { ADMIN_API_BASE_PATH, createAdminApi } from "./admin-api/app.ts";
import { registerStylesheet } from "./assets/stylesheet.ts";
import { createSessionSigner } from "./auth/admin-session.ts";
import { caseReaderAuth } from "./auth/case-reader.ts";
import { bearerToken, createTokenSet } from "./auth/tokens.ts";
import { caseFieldStatus } from "./case-status.ts";
import { type Lang, parseLang } from "./cases/case-labels.ts";
import { CASE_PAGE_NOTICES, type CasePageNotice, renderCasePage, renderCaseRefusal } from "./cases/case-page.ts";
import { casePageHeaders, DEFAULT_CASE_PAGE_FRAME_ANCESTORS, htmlSecurityHeaders } from "./cases/security-headers.ts";
import { createConsoleApp } from "./console/console-app.ts";
import { errorResponse } from "./contractor-api/api-errors.ts";
import { CONTRACTOR_API_BASE_PATH, createContractorApi } from "./contractor-api/app.ts";
import { registerContractorReference } from "./contractor-api/reference-page.ts";
import { createHttpApp } from "./create-http-app.ts";
import { INBOUND_LIMITS, limitedBody, pathIdLimit } from "./limits/inbound-limits.ts";
import { createRateLimiter, credentialFingerprint, type RateLimitSettings } from "./limits/rate-limit.ts";
import { registerOpen311PushRoute } from "./open311-push.ts";
import { type OpsOptions, registerOpsRoutes } from "./ops-routes.ts";

/** Webhook bodies above this answer 413 before they are read (S4). */
export const WEBHOOK_BODY_LIMIT = INBOUND_LIMITS.webhookBodyBytes;

export interface AppOptions extends OpsOptions {
  /** Called after a webhook stored new events, so the worker applies them at once instead of at its next idle tick. */
  onInboxChanged?: () => void;
  /** Called after pushed cases queued work, so the outbox sends it at once instead of at its next idle tick. */
  onCasesQueued?: () => void;
  /**
   * Scalar's API reference script for the contractor API's reference page, from the runtime (the
   * Node runtime reads the installed package); absent: the reference page sends to the plain docs.
   */
  apiReferenceScript?: () => Promise<string>;
  /** Admin bearer tokens (config.adminTokens); none: the admin API and console are closed. */
  adminTokens?: readonly string[];
  /** Read-only tokens for handlers' case pages (config.handlerTokens); admin tokens work there too. */
  handlerTokens?: readonly string[];
  /**
   * Token buckets per contractor key, admin token or session, login address and webhook target
   * (config.rateLimits). Absent: no rate limits (tests; the Worker, whose app lives for one request).
   */
  rateLimits?: RateLimitSettings;
  /** The caller's network address (the peer's), for the login limit; absent or null: every caller shares one bucket. */
  clientAddress?: (c: Context) => string | null;
  /**
   * Proxies whose `X-Forwarded-For` (the client address for the login limit) and
   * `X-Forwarded-Proto` (`https`: the session cookie gets `Secure`) are believed
   * (config.trustedProxy); absent: none, both headers are ignored.
   */
  trustedProxy?: TrustedProxies;
  /** How long a body may take to arrive (default INBOUND_LIMITS.bodyReadTimeoutMs). */
  bodyReadTimeoutMs?: number;
  /** Origins that may frame the handler's case page (config.casePageFrameAncestors); default Silta's own. */
  casePageFrameAncestors?: readonly string[];
}

/**
 * The photos a target sent inline with its status changes (Stara's attachments). A photo that
 * fails its check is logged and counted; it never fails the events it came with.
 */
async function takeEventPhotos(deps: SiltaDeps, targetId: string, events: readonly FieldEvent[]) {
  const counts = { received: 0, refused: 0 };
  if (!deps.photos?.sanitizer) return counts;
  for (const event of events)
    for (const photo of event.photos ?? []) {
      try {
        await receivePhoto(deps, {
          externalRef: event.externalRef,
          source: "stara",
          kind: photo.kind,
          bytes: photo.bytes,
          target: targetId,
        });
        counts.received++;
      } catch (error) {
        if (!isSiltaError(error)) throw error;
        counts.refused++;
        deps.log.warn(
          { target: targetId, externalRef: event.externalRef, code: error.code },
          "a photo from the field was refused",
        );
      }
    }
  return counts;
}

/** A photo's bytes, never sniffed or framed elsewhere. */
function photoResponse(photo: { bytes: Uint8Array; contentType: string }, cacheControl: string): Response {
  return new Response(new Uint8Array(photo.bytes), {
    headers: {
      "Content-Type": photo.contentType,
      "Cache-Control": cacheControl,
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; sandbox",
    },
  });
}

/**
 * Silta's HTTP surface, the same for every runtime: operations endpoints, inbound webhooks from
 * targets, the contractor API, the admin API and console, and the handler's case page with its
 * JSON twin. Handlers only validate, store and answer; external calls happen in outbox jobs.
 */
export function createApp(deps: SiltaDeps, options: AppOptions = {}): OpenAPIHono {
  // Request id, validation hook, error handler and 404: the same in every app (create-http-app.ts).
  const app = createHttpApp({ log: deps.log });
  const adminTokens = createTokenSet(options.adminTokens ?? []);
  const handlerTokens = createTokenSet(options.handlerTokens ?? []);
  // Contractor events do not wake the inbox loop: it picks them up within its idle wait, and
  // applies many together. Woken per event it applied them one by one (measured on PGlite:
  // 52 -> 34 round trips/s in the bench); Stara's webhooks carry batches and do wake it.
  const gateway = createContractorGateway(deps.database, deps.mappings, deps.media);
  // Limiter state is created with the app and dies with it.
  const limiters = options.rateLimits
    ? {
        contractor: createRateLimiter(options.rateLimits.contractor),
        admin: createRateLimiter(options.rateLimits.admin),
        login: createRateLimiter(options.rateLimits.login),
        webhook: createRateLimiter(options.rateLimits.webhook),
      }
    : null;
  const readTimeoutMs = options.bodyReadTimeoutMs ?? INBOUND_LIMITS.bodyReadTimeoutMs;

  // CSP and friends on every HTML page that sets none of its own; nosniff on every answer.
  app.use(htmlSecurityHeaders());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    // Ids and codes only: the path can hold a case id, never a query string (it may carry a token).
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

  registerOpsRoutes(app, deps, options);
  registerStylesheet(app);
  registerAccessibilityStatement(app);

  app.post(
    "/webhooks/:target",
    async (c, next) =>
      deps.targets.has(c.req.param("target")) ? next() : errorResponse(c, "not_found", `no target "${c.req.param("target")}"`),
    limitedBody({ maxBytes: WEBHOOK_BODY_LIMIT, maxJsonDepth: INBOUND_LIMITS.jsonMaxDepth, readTimeoutMs }),
    async (c) => {
      const targetId = c.req.param("target");
      const system = deps.targets.get(targetId);
      if (!system) return errorResponse(c, "not_found", `no target "${targetId}"`);
      const body = await c.req.text();
      // Verification comes before any write: an invalid signature leaves no trace but the log line (S1).
      const events = await system.verifyWebhook(headerMap(c.req.raw.headers), body);
      // Limited per target after verification: an unsigned flood cannot use up Stara's allowance.
      const taken = limiters?.webhook.take(targetId) ?? { ok: true };
      if (!taken.ok) {
        c.header("Retry-After", String(taken.retryAfterSeconds));
        return errorResponse(c, "rate_limited", `too many webhooks for target ${targetId}; try again later`);
      }
      const result = await recordFieldEvents(deps.database, targetId, events, sha256Hex(body));
      deps.crashPoint?.("after_inbox_insert");
      if (result.accepted > 0) options.onInboxChanged?.();
      const photos = await takeEventPhotos(deps, targetId, events);
      return c.json(photos.received + photos.refused > 0 ? { ...result, photos } : result, 200);
    },
  );

  registerOpen311PushRoute(app, deps, {
    readTimeoutMs,
    ...(limiters ? { limiter: limiters.webhook } : {}),
    ...(options.onCasesQueued ? { onCasesQueued: options.onCasesQueued } : {}),
  });

  app.route(
    CONTRACTOR_API_BASE_PATH,
    createContractorApi(gateway, {
      deliveryLog: (targetId, state, limit) => listContractorDeliveries(deps.database, targetId, state, limit),
      bodyReadTimeoutMs: readTimeoutMs,
      log: deps.log,
      ...(limiters ? { rateLimiter: limiters.contractor } : {}),
      selfTest: (targetId: string) => runContractorSelfTest(deps, targetId),
      ...(deps.photos?.sanitizer
        ? {
            photoMaxBytes: deps.photos.maxBytes,
            receivePhoto: (targetId: string, workOrderId: string, kind: PhotoKind, bytes: Uint8Array) =>
              receivePhoto(deps, { externalRef: workOrderId, source: "contractor", kind, bytes, target: targetId }),
          }
        : {}),
    }),
  );

  const isContractorKey = async (token: string) => (await gateway.authenticate(token)) !== null;
  app.route(
    ADMIN_API_BASE_PATH,
    createAdminApi(deps, adminTokens, isContractorKey, {
      bodyReadTimeoutMs: readTimeoutMs,
      ...(limiters ? { rateLimiter: limiters.admin } : {}),
    }),
  );
  // The peer is the proxy when one is trusted: the client's address and scheme then come from its headers.
  const forwarded = createForwardedReader(options.trustedProxy ?? []);
  const peer = (c: Context) => options.clientAddress?.(c) ?? null;
  const signer = createSessionSigner(options.adminTokens ?? [], {
    store: consoleSessionStore(deps.database),
    isHttps: (c) => forwarded.isHttps(c.req.url, peer(c), c.req.header("x-forwarded-proto")),
  });
  const consoleApp = createConsoleApp(deps, adminTokens, signer, {
    bodyReadTimeoutMs: readTimeoutMs,
    ...(limiters ? { sessionLimiter: limiters.admin, loginLimiter: limiters.login } : {}),
    clientAddress: (c) => forwarded.clientAddress(peer(c), c.req.header("x-forwarded-for")),
    ...(options.intakeHealth ? { intakeHealth: options.intakeHealth } : {}),
  });
  app.route("/admin", consoleApp);

  const caseReader = caseReaderAuth(handlerTokens, adminTokens);
  app.get("/api/v1/cases/:id", pathIdLimit("id"), caseReader, async (c) => {
    const status = await caseFieldStatus(deps, c.req.param("id"));
    c.header("Cache-Control", "no-store");
    return status ? c.json(status) : errorResponse(c, "not_found", `Silta has no case ${c.req.param("id")}`);
  });
  // People open the page in a browser: a refusal or an unknown case is a page in their language, not JSON.
  const caseRefusal = (c: Context, kind: "missing" | "invalid" | "not_found") => {
    // The refused token is never echoed back: the language links carry the language alone.
    const link = (next: Lang) => `?lang=${next}`;
    return c.html(renderCaseRefusal(parseLang(c.req.query("lang")), kind, link), kind === "not_found" ? 404 : 401);
  };
  const casePageReader = caseReaderAuth(handlerTokens, adminTokens, caseRefusal);
  app.get("/cases/:id", pathIdLimit("id"), casePageReader, async (c) => {
    const lang = parseLang(c.req.query("lang"));
    const view = await caseFieldStatus(deps, c.req.param("id"));
    if (!view) return caseRefusal(c, "not_found");
    const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(12))));
    // Embeddable by the case system's origins only; the token in the URL never leaves as a referrer.
    const frameAncestors = options.casePageFrameAncestors ?? DEFAULT_CASE_PAGE_FRAME_ANCESTORS;
    for (const [name, value] of Object.entries(casePageHeaders(nonce, frameAncestors))) c.header(name, value);
    const notice = c.req.query("notice") as CasePageNotice | undefined;
    return c.html(
      renderCasePage(view, lang, {
        token: c.req.query("token") ?? null,
        nonce,
        ...(notice && CASE_PAGE_NOTICES.has(notice) ? { notice } : {}),
        photos: await listCasePhotos(deps.database, c.req.param("id")),
      }),
    );
  });
  /** Back to the case page after a handler's action, in the same language and with the same token. */
  const backToCase = (c: Context, notice: CasePageNotice) => {
    const token = c.req.query("token");
    const back = `?lang=${parseLang(c.req.query("lang"))}${token ? `&token=${encodeURIComponent(token)}` : ""}&notice=${notice}`;
    return c.redirect(`/cases/${encodeURIComponent(c.req.param("id") ?? "")}${back}`, 303);
  };
  const handlerActor = async (c: Context) =>
    `handler:${await credentialFingerprint(bearerToken(c.req.header("authorization")) ?? c.req.query("token") ?? "")}`;
  // "Not fixed": a handler asks for the finished work to be done again; the page shows the new cycle.
  // The handlers' forms carry nothing but the URL; a body is still read, so bad bytes answer 400.
  const handlerForm = limitedBody({ maxBytes: 4096, readTimeoutMs });
  app.post("/cases/:id/rework", pathIdLimit("id"), casePageReader, handlerForm, async (c) => {
    const outcome = await requestRework(deps, await handlerActor(c), c.req.param("id"));
    if (outcome.result === "not_found") return caseRefusal(c, "not_found");
    return backToCase(c, outcome.result);
  });
  // The case's photos, for its handler (any state), and the review that decides whether one is published.
  /** A photo id from the path; null when it is beyond any id (the caller answers 400). */
  const photoIdOf = (c: Context) => {
    const id = Number(c.req.param("photoId"));
    return Number.isSafeInteger(id) && id >= 1 && id <= 2_147_483_647 ? id : null;
  };
  app.get("/cases/:id/photos/:photoId{[0-9]+}", pathIdLimit("id"), casePageReader, async (c) => {
    const photoId = photoIdOf(c);
    if (photoId === null) return errorResponse(c, "invalid_request", "a photo id is a number from 1 to 2147483647");
    const photo = await readPhoto(deps, { caseId: c.req.param("id"), photoId });
    if (!photo) return errorResponse(c, "not_found", "no such photo");
    return photoResponse(photo, "private, no-store");
  });
  app.post(
    "/cases/:id/photos/:photoId{[0-9]+}/:decision{approve|reject}",
    pathIdLimit("id"),
    casePageReader,
    handlerForm,
    async (c) => {
      const decision = c.req.param("decision") === "approve" ? "approve" : "reject";
      const photoId = photoIdOf(c);
      if (photoId === null) return errorResponse(c, "invalid_request", "a photo id is a number from 1 to 2147483647");
      const outcome = await reviewPhoto(deps, await handlerActor(c), c.req.param("id"), photoId, decision);
      if (outcome.result === "not_found") return errorResponse(c, "not_found", "no such photo on this case");
      return backToCase(
        c,
        outcome.result === "approved" ? "photo_approved" : outcome.result === "rejected" ? "photo_rejected" : "photo_unchanged",
      );
    },
  );
  // An approved photo's public address: what the case system links to. Unguessable; approved only.
  app.get("/photos/:publicId{[A-Za-z0-9_-]{16,64}}", async (c) => {
    const photo = await readPhoto(deps, { publicId: c.req.param("publicId") });
    if (!photo) return errorResponse(c, "not_found", "no such photo");
    return photoResponse(photo, "public, max-age=86400");
  });

  // A duplicate of another case shares its work order; unlinking gives it its own again.
  app.post(
    "/cases/:id/duplicate",
    pathIdLimit("id"),
    casePageReader,
    limitedBody({ maxBytes: 4096, readTimeoutMs }),
    async (c) => {
      const form = await c.req.parseBody();
      const parent = typeof form.parent === "string" ? form.parent.trim().slice(0, INBOUND_LIMITS.pathIdChars) : "";
      const unlink = form.unlink === "1";
      if (!unlink && !parent) return errorResponse(c, "invalid_request", "name the original case (parent) or unlink=1");
      const outcome = await handlerSetsDuplicate(deps, await handlerActor(c), c.req.param("id"), unlink ? null : parent);
      if (outcome.result === "not_found") return caseRefusal(c, "not_found");
      return backToCase(
        c,
        outcome.result === "linked" || outcome.result === "already"
          ? "linked"
          : outcome.result === "unlinked"
            ? "unlinked"
            : "refused",
      );
    },
  );

  registerContractorReference(app, CONTRACTOR_API_BASE_PATH, options.apiReferenceScript);

  app.get("/", (c) =>
    c.json({
      name: "Silta",
      description: "Bridge between Open311 feedback and field-work contractors",
      links: {
        health: "/healthz",
        ready: "/readyz",
        metrics: "/metrics",
        contractorApi: `${CONTRACTOR_API_BASE_PATH}/openapi.json`,
        adminApi: `${ADMIN_API_BASE_PATH}/openapi.json`,
        adminApiDocs: `${ADMIN_API_BASE_PATH}/docs`,
        console: "/admin",
        caseStatus: "/api/v1/cases/{id}",
        casePage: "/cases/{id}",
        open311Push: "/intake/open311",
      },
    }),
  );
  return app;
}
