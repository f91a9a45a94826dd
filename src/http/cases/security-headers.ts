import type { MiddlewareHandler } from "hono";

/**
 * Security headers of Silta's HTML pages (issue 7). The console sets its own (never framed, no
 * script at all); the handler's case page runs one nonce'd script and may be framed by the case
 * system; every other HTML page (the API docs) gets the strict default below.
 */

/** Who may frame the case page when nothing is configured: Silta's own origin only. */
export const DEFAULT_CASE_PAGE_FRAME_ANCESTORS: readonly string[] = ["'self'"];

/** The case page's headers: its one script by nonce, JSON from its own origin, framed only by `frameAncestors`. */
export function casePageHeaders(nonce: string, frameAncestors: readonly string[]): Record<string, string> {
  const ancestors = frameAncestors.length > 0 ? frameAncestors.join(" ") : "'none'";
  return {
    "Content-Security-Policy": `default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors ${ancestors}`,
    // The token in the URL never leaves as a referrer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  };
}

const STRICT_HTML_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
};

/**
 * Gives every HTML answer that set no CSP of its own the strict default (no script, no framing),
 * and every answer `nosniff`, so that a page added later is safe without remembering to be.
 */
export function htmlSecurityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const type = c.res.headers.get("content-type") ?? "";
    const html = type.startsWith("text/html") && !c.res.headers.has("Content-Security-Policy");
    const sniffable = !c.res.headers.has("X-Content-Type-Options");
    if (!html && !sniffable) return;
    // A response built elsewhere (e.g. a fetched one) may have immutable headers: copy it first.
    const res = new Response(c.res.body, c.res);
    if (sniffable) res.headers.set("X-Content-Type-Options", "nosniff");
    if (html) for (const [name, value] of Object.entries(STRICT_HTML_HEADERS)) res.headers.set(name, value);
    c.res = undefined;
    c.res = res;
  };
}
