import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { listAuditEvents } from "../../domain/admin/audit.ts";
import { searchCases } from "../../domain/admin/case-search.ts";
import { caseView } from "../../domain/admin/case-view.ts";
import { HISTORY_RANGES, type HistoryRange, readDeliveryHistory } from "../../domain/admin/delivery-history.ts";
import { failureDetail } from "../../domain/admin/failure-detail.ts";
import { deadLetterGroups, type FailureFilter, listFailures, listStoppedElsewhere } from "../../domain/admin/failures.ts";
import { listOpenFindings } from "../../domain/admin/findings.ts";
import { acknowledgeJob, replayJob, replayJobs, retryJobNow, skipJob } from "../../domain/admin/job-actions.ts";
import { readOverview } from "../../domain/admin/overview.ts";
import { listQuarantinedCodes, mapQuarantinedCode } from "../../domain/admin/quarantine.ts";
import { readTargetHealth } from "../../domain/admin/target-health.ts";
import { acknowledgeAlert, listAlerts } from "../../domain/alerts/evaluate-alerts.ts";
import type { SiltaDeps } from "../../domain/deps.ts";
import { readIntakeHealth } from "../../domain/intake/intake-health.ts";
import { countQuarantinedRecords, listQuarantinedRecords } from "../../domain/intake/intake-quarantine.ts";
import { pauseTarget, resumeTarget } from "../../domain/target-pauses.ts";
import { ERROR_CLASSES, type ErrorClass } from "../../kernel/errors.ts";
import type { AdminSession, SessionSigner } from "../auth/admin-session.ts";
import type { TokenSet } from "../auth/tokens.ts";
import { errorResponse } from "../contractor-api/api-errors.ts";
import { createHttpApp } from "../create-http-app.ts";
import { INBOUND_LIMITS, limitedBody } from "../limits/inbound-limits.ts";
import type { RateLimiter } from "../limits/rate-limit.ts";
import { renderAlertsPage } from "./alerts-page.ts";
import { renderAuditPage } from "./audit-page.ts";
import { renderCaseSearchPage } from "./case-search-page.ts";
import { renderCaseTimelinePage } from "./case-timeline-page.ts";
import { renderChartsPage } from "./charts-page.ts";
import { renderBulkReplayPage, renderFailureDetailPage, renderFailuresPage } from "./failures-page.ts";
import { consolePage, renderTargetHealthBanner, TARGET_HEALTH_SLOT } from "./layout.ts";
import { renderLoginPage } from "./login-page.ts";
import { renderOverviewPage } from "./overview-page.ts";
import { renderQuarantinePage } from "./quarantine-page.ts";
import { PAUSE_HOURS, renderTargetsPage } from "./targets-page.ts";

interface ConsoleEnv {
  Variables: { session: AdminSession; csrf: string; actor: string; requestId: string };
}

const FORM_LIMIT = INBOUND_LIMITS.consoleFormBytes;
/** Longest code or target id a quarantine form may name (the admin API's cap too). */
const CODE_CHARS = 100;

export interface ConsoleOptions {
  /** Token bucket per console session; absent: no limit. */
  sessionLimiter?: RateLimiter;
  /** Token bucket per client address for login attempts (brute force); absent: no limit. */
  loginLimiter?: RateLimiter;
  /** The caller's address for the login limit; null or absent: one shared bucket. */
  clientAddress?: (c: Context) => string | null;
  /** How long a form may take to arrive. */
  bodyReadTimeoutMs?: number;
  /** When intake counts as stale (the overview's banner); absent: every poll counts as recent. */
  intakeHealth?: { staleMs: number; since: Date };
}

/** Console pages are private and never framed, cached or allowed to run scripts. */
const CONSOLE_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** Longest age filter, in minutes: a year (the admin API's bound too). */
const MAX_AGE_MINUTES = 525_600;
/** Database ids are 32-bit: a larger number is not a job id (and must not reach SQL as one). */
const MAX_ID = 2_147_483_647;
/** Audit rows per console page. */
const AUDIT_PAGE = 100;
/** Cases per search page. */
const CASE_PAGE = 50;

/**
 * A failures filter from query or form fields; a malformed choice is left out rather than
 * refused, but a number out of range is refused (a string: what is wrong), so it never reaches SQL.
 */
function readFilter(fields: Record<string, unknown>): FailureFilter | string {
  const filter: FailureFilter = {};
  const target = text(fields.target);
  if (target) filter.target = target.slice(0, 100);
  const errorClass = text(fields.errorClass);
  if (errorClass && (ERROR_CLASSES as readonly string[]).includes(errorClass)) filter.errorClass = errorClass as ErrorClass;
  const errorCode = text(fields.errorCode);
  if (errorCode) filter.errorCode = errorCode.slice(0, 100);
  const state = text(fields.state);
  if (state === "dead" || state === "retrying" || state === "skipped") filter.state = state;
  const ageText = text(fields.minAgeMinutes);
  if (ageText !== undefined) {
    const age = Number(ageText);
    if (!/^\d+$/.test(ageText) || age > MAX_AGE_MINUTES)
      return `minAgeMinutes must be a whole number from 0 to ${MAX_AGE_MINUTES}`;
    filter.minAgeMinutes = age;
  }
  const q = text(fields.q);
  if (q) filter.q = q.slice(0, 200);
  return filter;
}

/**
 * The integration admins' console at `/admin`: server-rendered pages over the same domain
 * functions as the admin API. Login with an admin token sets an HttpOnly, SameSite=Strict
 * session cookie signed with HMAC; every form post also carries the session's CSRF token.
 */
export function createConsoleApp(
  deps: SiltaDeps,
  tokens: TokenSet,
  signer: SessionSigner,
  options: ConsoleOptions = {},
): OpenAPIHono<ConsoleEnv> {
  // Request id and error answers as in every app (create-http-app.ts); its pages are HTML.
  const app = createHttpApp<ConsoleEnv>({ log: deps.log });
  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(CONSOLE_HEADERS)) c.res.headers.set(name, value);
  });
  // Login attempts are counted per address before the form is even read.
  const { loginLimiter, sessionLimiter } = options;
  if (loginLimiter) {
    app.post("/login", async (c, next) => {
      const taken = loginLimiter.take(`login:${options.clientAddress?.(c) ?? "unknown"}`);
      if (taken.ok) return next();
      deps.log.warn({ requestId: c.get("requestId") }, "console login rate-limited");
      c.header("Retry-After", String(taken.retryAfterSeconds));
      return c.html(renderLoginPage(`Too many login attempts; try again in ${taken.retryAfterSeconds} s.`), 429);
    });
  }
  app.use(
    limitedBody({
      maxBytes: FORM_LIMIT,
      noun: "form",
      ...(options.bodyReadTimeoutMs ? { readTimeoutMs: options.bodyReadTimeoutMs } : {}),
    }),
  );

  app.get("/login", (c) => c.html(renderLoginPage(null)));
  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const fingerprint = tokens.size > 0 ? await tokens.match(text(form.token) ?? "") : null;
    if (!fingerprint) {
      deps.log.warn({ requestId: c.get("requestId") }, "console login refused");
      return c.html(
        renderLoginPage(tokens.size === 0 ? "The console is closed: no admin token is configured." : "That token is not valid."),
        401,
      );
    }
    await signer.start(c, fingerprint, Date.now());
    return c.redirect("/admin", 303);
  });

  // Everything below needs a session; forms need its CSRF token too.
  app.use(async (c, next) => {
    const session = await signer.read(c, Date.now(), tokens);
    if (!session) {
      if (c.req.method === "GET") return c.redirect("/admin/login", 303);
      return errorResponse(c, "unauthorized", "log in first");
    }
    c.set("session", session);
    const taken = sessionLimiter?.take(`session:${session.nonce}`) ?? { ok: true };
    if (!taken.ok) {
      c.header("Retry-After", String(taken.retryAfterSeconds));
      return errorResponse(c, "rate_limited", `too many requests in this session; try again in ${taken.retryAfterSeconds} s`);
    }
    c.set("csrf", await signer.csrfToken(session));
    c.set("actor", `admin:${session.fingerprint}`);
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      if (!(await signer.checkCsrf(session, form._csrf)))
        return errorResponse(c, "forbidden", "the form's CSRF token is missing or wrong; reload the page");
    }
    await next();
  });

  // Every signed-in page shows which targets are down or degraded: filled into the layout's slot
  // here, once, so that no page can leave it out (one cheap query over the waiting jobs).
  app.use("*", async (c, next) => {
    await next();
    if (!c.get("session") || !(c.res.headers.get("content-type") ?? "").includes("text/html")) return;
    const page = await c.res.text();
    if (!page.includes(TARGET_HEALTH_SLOT)) {
      c.res = new Response(page, c.res);
      return;
    }
    const banner = renderTargetHealthBanner(await readTargetHealth(deps.database, deps.mappings));
    c.res = new Response(page.replace(TARGET_HEALTH_SLOT, banner), c.res);
  });

  app.post("/logout", async (c) => {
    await signer.end(c, c.get("session"));
    return c.redirect("/admin/login", 303);
  });

  const flash = (done: string | undefined, error: string | undefined) =>
    error ? { text: error, error: true } : done ? { text: `Done: ${done}` } : null;

  app.get("/", async (c) => {
    const overview = await readOverview(deps.database, deps.mappings, deps.now());
    const findings = await listOpenFindings(deps.database, 50);
    const causes = await deadLetterGroups(deps.database);
    const intake = await readIntakeHealth(deps.database, {
      now: deps.now(),
      staleMs: options.intakeHealth?.staleMs ?? Number.POSITIVE_INFINITY,
      since: options.intakeHealth?.since ?? deps.now(),
    });
    const quarantined = await countQuarantinedRecords(deps.database);
    return c.html(
      renderOverviewPage(overview, findings, causes, c.get("csrf"), { ...intake, quarantined, source: deps.source ?? null }),
    );
  });

  /** A bad request's page: 400, what is wrong (never the value). */
  const badRequest = (c: Context<ConsoleEnv>, message: string) => c.html(consolePage("Bad request", c.get("csrf"), message), 400);
  /** A job id from the path, or null when it is beyond any id. */
  const jobIdOf = (c: Context<ConsoleEnv>) => {
    const id = Number(c.req.param("jobId"));
    return Number.isSafeInteger(id) && id >= 1 && id <= MAX_ID ? id : null;
  };

  app.get("/failures", async (c) => {
    const filter = readFilter(c.req.query());
    if (typeof filter === "string") return badRequest(c, filter);
    const items = await listFailures(deps.database, { ...filter, limit: 200 }, deps.now());
    // Parked links and quarantine belong to the unfiltered view (a filter narrows the jobs).
    const unfiltered = Object.entries(filter).every(([key, value]) => key === "limit" || value === undefined || value === "");
    return c.html(
      renderFailuresPage(
        filter,
        items,
        [...deps.mappings.targets.keys()],
        c.get("csrf"),
        flash(c.req.query("done"), c.req.query("error")),
        unfiltered ? await listStoppedElsewhere(deps.database) : null,
      ),
    );
  });

  app.post("/failures/replay", async (c) => {
    const form = await c.req.parseBody();
    const filter = readFilter(form);
    if (typeof filter === "string") return badRequest(c, filter);
    const result = await replayJobs(deps, c.get("actor"), { filter, dryRun: form.dryRun !== "0" });
    return c.html(renderBulkReplayPage(result, filter, c.get("csrf")));
  });

  app.get("/failures/:jobId{[0-9]+}", async (c) => {
    const jobId = jobIdOf(c);
    if (jobId === null) return badRequest(c, `a job id is a number from 1 to ${MAX_ID}`);
    const detail = await failureDetail(deps, jobId);
    if (!detail) return c.html(consolePage("Not found", c.get("csrf"), "No such job."), 404);
    return c.html(
      renderFailureDetailPage(detail.failure, detail.payload, c.get("csrf"), flash(c.req.query("done"), c.req.query("error"))),
    );
  });

  app.post("/failures/:jobId{[0-9]+}/:action{retry|replay|skip|acknowledge}", async (c) => {
    const jobId = jobIdOf(c);
    if (jobId === null) return badRequest(c, `a job id is a number from 1 to ${MAX_ID}`);
    const actor = c.get("actor");
    const form = await c.req.parseBody();
    const action = c.req.param("action");
    const result =
      action === "retry"
        ? await retryJobNow(deps, actor, jobId)
        : action === "replay"
          ? await replayJob(deps, actor, jobId)
          : action === "skip"
            ? await skipJob(deps, actor, jobId, text(form.note) ?? null)
            : await acknowledgeJob(deps, actor, jobId, { note: text(form.note) ?? "", until: parseLocalTime(text(form.until)) });
    const query = result.ok ? `done=${encodeURIComponent(result.result)}` : `error=${encodeURIComponent(result.message)}`;
    return c.redirect(`/admin/failures/${jobId}?${query}`, 303);
  });

  app.get("/alerts", async (c) =>
    c.html(renderAlertsPage(await listAlerts(deps), c.get("csrf"), flash(c.req.query("done"), c.req.query("error")))),
  );

  app.post("/alerts/:alertId{[0-9]+}/acknowledge", async (c) => {
    const id = Number(c.req.param("alertId"));
    if (!Number.isSafeInteger(id) || id > MAX_ID) return badRequest(c, `an alert id is a number from 1 to ${MAX_ID}`);
    const result = await acknowledgeAlert(deps, c.get("actor"), id);
    const query = result.ok ? `done=${encodeURIComponent(result.result)}` : `error=${encodeURIComponent(result.message)}`;
    return c.redirect(`/admin/alerts?${query}`, 303);
  });

  app.get("/targets", async (c) => {
    const targets = await readTargetHealth(deps.database, deps.mappings, { includeIdle: true });
    return c.html(renderTargetsPage(targets, c.get("csrf"), flash(c.req.query("done"), c.req.query("error"))));
  });

  app.post("/targets/:target/:action{pause|resume}", async (c) => {
    const target = c.req.param("target").slice(0, CODE_CHARS);
    const form = await c.req.parseBody();
    const hours = Number(text(form.hours) ?? "0");
    if (!(PAUSE_HOURS as readonly number[]).includes(hours)) return badRequest(c, `hours is one of ${PAUSE_HOURS.join(", ")}`);
    const result =
      c.req.param("action") === "resume"
        ? await resumeTarget(deps, c.get("actor"), target)
        : await pauseTarget(deps, c.get("actor"), target, {
            reason: text(form.reason) ?? "",
            until: hours === 0 ? null : new Date(deps.now().getTime() + hours * 3_600_000),
          });
    const query = result.ok ? `done=${encodeURIComponent(result.message)}` : `error=${encodeURIComponent(result.message)}`;
    return c.redirect(`/admin/targets?${query}`, 303);
  });

  app.get("/charts", async (c) => {
    const asked = c.req.query("range") ?? "day";
    if (!Object.hasOwn(HISTORY_RANGES, asked)) return badRequest(c, "range is hour, day or week");
    const range = asked as HistoryRange;
    const now = deps.now();
    return c.html(renderChartsPage(await readDeliveryHistory(deps.database, range, now), range, c.get("csrf"), now));
  });

  app.get("/cases", async (c) => {
    // The overview's "Show timeline" form names one case: straight to it.
    const id = text(c.req.query("id"));
    if (id) return c.redirect(`/admin/cases/${encodeURIComponent(id)}`, 303);
    const field = (name: string) => {
      const value = c.req.query(name)?.trim();
      return value ? value.slice(0, INBOUND_LIMITS.pathIdChars) : undefined;
    };
    const search = Object.fromEntries(
      Object.entries({
        q: field("q"),
        service: field("service"),
        state: field("state"),
        target: field("target"),
        beforeId: field("before"),
      }).filter(([, v]) => v !== undefined),
    );
    const rows = await searchCases(deps.database, { ...search, limit: CASE_PAGE });
    return c.html(
      renderCaseSearchPage(search, rows, [...deps.mappings.targets.keys()], c.get("csrf"), rows.length === CASE_PAGE),
    );
  });
  app.get("/cases/:caseId", async (c) => {
    if (c.req.param("caseId").length > INBOUND_LIMITS.pathIdChars)
      return c.html(consolePage("Not found", c.get("csrf"), "Silta has no such case."), 404);
    const view = await caseView(deps.database, deps.mappings, c.req.param("caseId"), deps.now());
    if (!view) return c.html(consolePage("Not found", c.get("csrf"), "Silta has no such case."), 404);
    return c.html(renderCaseTimelinePage(view, c.get("csrf")));
  });

  app.get("/quarantine", async (c) =>
    c.html(
      renderQuarantinePage(
        await listQuarantinedCodes(deps.database),
        await listQuarantinedRecords(deps.database),
        c.get("csrf"),
        flash(c.req.query("done"), c.req.query("error")),
      ),
    ),
  );
  app.post("/quarantine/map", async (c) => {
    const form = await c.req.parseBody();
    if ((text(form.target) ?? "").length > CODE_CHARS || (text(form.code) ?? "").length > CODE_CHARS)
      return c.redirect(
        `/admin/quarantine?error=${encodeURIComponent(`target and code are at most ${CODE_CHARS} characters`)}`,
        303,
      );
    const result = await mapQuarantinedCode(deps, c.get("actor"), {
      target: text(form.target) ?? "",
      code: text(form.code) ?? "",
      canonical: text(form.canonical) ?? "",
      redrive: true,
    });
    const query = result.ok ? `done=${encodeURIComponent(result.message)}` : `error=${encodeURIComponent(result.message)}`;
    return c.redirect(`/admin/quarantine?${query}`, 303);
  });

  app.get("/audit", async (c) => {
    const text = (name: string) => {
      const value = c.req.query(name)?.trim();
      return value ? value.slice(0, 300) : undefined;
    };
    const before = c.req.query("before");
    const beforeId = before === undefined || before === "" ? undefined : Number(before);
    if (beforeId !== undefined && !(Number.isSafeInteger(beforeId) && beforeId >= 1))
      return badRequest(c, "before is an audit row id (a whole number from 1)");
    const filter = { actor: text("actor"), action: text("action"), subject: text("subject") };
    const rows = await listAuditEvents(deps.database, {
      ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)),
      ...(beforeId ? { beforeId } : {}),
      limit: AUDIT_PAGE,
    });
    return c.html(renderAuditPage(rows, c.get("csrf"), { filter, more: rows.length === AUDIT_PAGE }));
  });

  app.notFound((c) => c.html(consolePage("Not found", c.get("csrf") ?? null, "No such page."), 404));
  return app;
}

/** `datetime-local` input (Helsinki wall time is what admins type; treated as UTC when no zone is given). */
function parseLocalTime(value: string | undefined): Date | null {
  // A four-digit year only: the database refuses dates JavaScript can still hold (e.g. year -200000).
  if (!value || !/^\d{4}-\d\d-\d\dT/.test(value)) return null;
  const parsed = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}
