import { html, raw } from "hono/html";
import { accessibilityLink } from "./accessibility-statement.ts";
import { STYLESHEET_LINK } from "./assets/stylesheet.ts";

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string }[];
};
type Document = {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
};

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/**
 * A readable page for an OpenAPI document: every operation with its method, path, summary and
 * parameters, grouped by tag, with a link to the JSON. Rendered from the served document itself,
 * so it cannot drift from the routes.
 */
export function renderApiDocsPage(served: object, jsonUrl: string) {
  const document = served as Document;
  const operations: { tag: string; method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) operations.push({ tag: op.tags?.[0] ?? "other", method: method.toUpperCase(), path, op });
    }
  }
  const tags = [...new Set(operations.map((o) => o.tag))];
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${document.info?.title ?? "API"}</title>${raw(STYLESHEET_LINK)}
<style>main{max-width:60rem}code{background:var(--color-black-5);padding:0 .25rem}.op{border-left:3px solid var(--color-bus);padding:.25rem .75rem;margin:.75rem 0}
.m{font-weight:700;display:inline-block;min-width:4rem}</style></head>
<body><main><h1>${document.info?.title ?? "API"} <small>${document.info?.version ?? ""}</small></h1>
<p>${document.info?.description ?? ""}</p><p>Machine-readable: <a href="${jsonUrl}">${jsonUrl}</a> (OpenAPI 3.1)</p>
${tags.map(
  (tag) => html`<h2>${tag}</h2>
${operations
  .filter((o) => o.tag === tag)
  .map(
    (o) => html`<div class="op" id="${o.op.operationId ?? ""}">
<div><span class="m">${o.method}</span><code>${o.path}</code> <small>${o.op.operationId ?? ""}</small></div>
<div>${o.op.summary ?? ""}</div>
${o.op.description ? html`<div><small>${o.op.description}</small></div>` : ""}
${o.op.parameters?.length ? html`<div><small>parameters: ${o.op.parameters.map((p) => `${p.name} (${p.in})`).join(", ")}</small></div>` : ""}
</div>`,
  )}`,
)}
</main>${accessibilityLink("en")}</body></html>`;
}
