import type { OpenAPIHono } from "@hono/zod-openapi";
import { html, raw } from "hono/html";
import { accessibilityLink, STATEMENT_PATH } from "../accessibility-statement.ts";
import { STYLESHEET_LINK } from "../assets/stylesheet.ts";

/**
 * The contractor API's reference page: the OpenAPI document rendered by Scalar's API reference
 * (schemas, examples, authentication), from Silta's own copy of its script, never a CDN; and
 * the API's changelog. The script comes from the runtime (`AppOptions.apiReferenceScript`): the
 * Node runtime reads it from the installed package; where there is none (the Worker keeps its
 * bundle small), the reference sends people to the plain docs page.
 */

/**
 * What changed in the contractor API, newest first, each a semantic version: an addition a
 * client may ignore is a minor version, a fix a patch; a change a client must follow would be a
 * new major version (and a new base path). The OpenAPI document's `info.version` is the newest.
 */
export const CONTRACTOR_API_CHANGELOG: readonly { version: string; date: string; changes: readonly string[] }[] = [
  {
    version: "1.1.0",
    date: "2026-12-06",
    changes: [
      "POST /work-orders/{workOrderId}/photos: attach a before, after or completion photo (JPEG, PNG or WebP, 10 MiB). Silta removes its location and camera data; the city's handler decides whether it is published.",
      "Work orders may carry previousWorkOrderId: a rework of an earlier work order on the same case whose work did not fix it. It is a new work order with its own workOrderId.",
      "GET /ping checks your key; POST /self-test has Silta send your endpoint a synthetic work order (reference selftest:…, service code TEST) and shows what came back.",
    ],
  },
  {
    version: "1.0.1",
    date: "2026-12-06",
    changes: [
      "This reference page (schemas, examples, authentication) and this changelog.",
      "A NUL character or an out-of-range number in any parameter answers 400 invalid_request (it was 500).",
      "An API key in Authorization must be a Bearer token68 (Silta's keys always are); anything else answers 401.",
    ],
  },
  {
    version: "1.0.0",
    date: "2026-11",
    changes: [
      "Version 1: the work-order feed, a work order, status events with Idempotency-Key, your delivery log; bearer API keys.",
    ],
  },
];

/**
 * Scalar's default muted text and method colours fall below WCAG AA contrast (3.2:1 and 3.9:1,
 * axe-core): HDS colours that reach 4.5:1 on white take their place.
 */
const SCALAR_ACCESSIBLE_COLOURS = `.light-mode { --scalar-color-3: #595959; --scalar-color-green: #007a64;
  --scalar-color-blue: #0062b9; --scalar-color-red: #b01038; --scalar-color-orange: #a14800; --scalar-color-yellow: #7a5a00;
  --scalar-color-purple: #6b2fa0; }`;

const REFERENCE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function registerContractorReference(
  app: OpenAPIHono,
  basePath: string,
  script: (() => Promise<string>) | undefined,
): void {
  let cached: Promise<string> | undefined;
  app.get("/assets/api-reference.js", async (c) => {
    if (!script) return c.notFound();
    cached ??= script();
    return c.body(await cached, 200, {
      "Content-Type": "application/javascript; charset=utf-8",
      "Cache-Control": "public, max-age=86400",
    });
  });
  app.get(`${basePath}/reference`, (c) => {
    if (!script) return c.redirect(`${basePath}/docs`, 302);
    c.header("Content-Security-Policy", REFERENCE_CSP);
    c.header("X-Frame-Options", "DENY");
    const configuration = JSON.stringify({
      withDefaultFonts: false,
      hideClientButton: true,
      theme: "default",
      customCss: SCALAR_ACCESSIBLE_COLOURS,
    });
    return c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Silta contractor API reference</title></head>
<body><nav aria-label="Contractor API" style="margin:.5rem 1rem;font:14px Arial,sans-serif"><a href="${basePath}/changelog">Changelog</a> · <a href="${basePath}/openapi.json">OpenAPI document</a> · <a href="${STATEMENT_PATH}?lang=en">Accessibility statement</a></nav>
<script id="api-reference" data-url="${basePath}/openapi.json" data-configuration="${configuration}"></script>
<script src="/assets/api-reference.js"></script></body></html>`);
  });
  app.get(`${basePath}/changelog`, (c) =>
    c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Silta contractor API changelog</title>
${raw(STYLESHEET_LINK)}<style>main{max-width:50rem}</style></head>
<body><main><h1>Contractor API changelog</h1><p><a href="${basePath}/reference">Reference</a></p>
${CONTRACTOR_API_CHANGELOG.map(
  (entry) =>
    html`<h2 id="v${entry.version}">${entry.version} <small>${entry.date}</small></h2><ul>${entry.changes.map((change) => html`<li>${change}</li>`)}</ul>`,
)}</main>${accessibilityLink("en")}</body></html>`),
  );
}
