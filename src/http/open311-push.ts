import type { OpenAPIHono } from "@hono/zod-openapi";
import type { SiltaDeps } from "../domain/deps.ts";
import { ingestCases } from "../domain/intake/ingest.ts";
import { headerMap } from "../lib/webhook-signature.ts";
import { errorResponse } from "./contractor-api/api-errors.ts";
import { INBOUND_LIMITS, limitedBody } from "./limits/inbound-limits.ts";
import type { RateLimiter } from "./limits/rate-limit.ts";

export const OPEN311_PUSH_PATH = "/intake/open311";

/** The webhook limiter's bucket for pushes; not a valid target id, so no target shares it. */
const PUSH_BUCKET = "case-system:open311";

export interface Open311PushOptions {
  /** The webhook limiter (per source, after verification); absent: no limit. */
  limiter?: RateLimiter;
  readTimeoutMs: number;
  /** Called when a push queued work (a new routed case, a city-side cancel), to wake the outbox at once. */
  onCasesQueued?: () => void;
}

/**
 * Push intake: the city's system posts new and changed cases as it takes them, so a case reaches
 * its contractor without waiting for the next poll. The poll keeps running as the safety net for
 * pushes that never came; a case pushed and then polled is unchanged (same content hash) and costs
 * a read. The same intake as the poll takes the cases: routed, linked, queued and ledgered in one
 * transaction per batch, so a retried push creates nothing twice.
 *
 * Answers 404 until SILTA_OPEN311_PUSH_SECRETS is set; 401 for a bad signature (nothing stored);
 * 400 for a signed body that is not a case list; 200 with the intake summary and, per row that is
 * not a case, its position, id and reason (the rest of the push is taken).
 */
export function registerOpen311PushRoute(app: OpenAPIHono, deps: SiltaDeps, options: Open311PushOptions): void {
  app.post(
    OPEN311_PUSH_PATH,
    async (c, next) =>
      deps.caseSystem.readPush
        ? next()
        : errorResponse(c, "not_found", "push intake is off: set SILTA_OPEN311_PUSH_SECRETS to the secrets the city signs with"),
    limitedBody({
      maxBytes: INBOUND_LIMITS.pushBodyBytes,
      maxJsonDepth: INBOUND_LIMITS.jsonMaxDepth,
      readTimeoutMs: options.readTimeoutMs,
      // The parser cleans NUL characters out of case text as the poll's does (parse.ts), and says which fields it cleaned.
      allowNul: true,
    }),
    async (c) => {
      const readPush = deps.caseSystem.readPush;
      if (!readPush) return errorResponse(c, "not_found", "push intake is off");
      // Verified before anything is written; a refused push leaves only the request log line (S1).
      const pushed = readPush(headerMap(c.req.raw.headers), await c.req.text());
      const taken = options.limiter?.take(PUSH_BUCKET) ?? { ok: true };
      if (!taken.ok) {
        c.header("Retry-After", String(taken.retryAfterSeconds));
        return errorResponse(c, "rate_limited", "too many pushes; try again later");
      }
      for (const reject of pushed.rejects)
        deps.log.warn({ serviceRequestId: reject.serviceRequestId, reason: reject.reason }, "pushed open311 record refused");
      const summary = await ingestCases(deps, pushed.records);
      deps.metrics.intake(summary);
      if (summary.routed + summary.cancelled > 0) options.onCasesQueued?.();
      return c.json({ ...summary, rejected: pushed.rejects }, 200);
    },
  );
}
