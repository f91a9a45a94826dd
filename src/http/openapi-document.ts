import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "hono";
import { renderApiDocsPage } from "./api-docs-page.ts";

/** What `getOpenAPI31Document` takes: title, version, servers, tags. */
export type OpenApiDocumentConfig = Parameters<OpenAPIHono["getOpenAPI31Document"]>[0];

/**
 * Serves an app's OpenAPI 3.1 document at `/openapi.json` and a readable page of it at `/docs`,
 * both without auth. The document is generated once per app, at the first request that needs it
 * (every route is registered by then), and its JSON and page are kept with the app: generating
 * walks every route's zod schemas, and a flood of unauthenticated requests that each rebuilt it
 * once starved `/healthz`. Returns the document's getter (the same object on every call).
 */
export function serveOpenApiDocument<E extends Env>(
  app: OpenAPIHono<E>,
  config: OpenApiDocumentConfig,
  jsonUrl: string,
): () => ReturnType<OpenAPIHono<E>["getOpenAPI31Document"]> {
  let document: ReturnType<OpenAPIHono<E>["getOpenAPI31Document"]> | undefined;
  let json: string | undefined;
  let page: string | undefined;
  const built = () => {
    document ??= app.getOpenAPI31Document(config);
    return document;
  };
  app.get("/openapi.json", (c) => {
    json ??= JSON.stringify(built());
    return c.body(json, 200, { "Content-Type": "application/json" });
  });
  app.get("/docs", async (c) => {
    page ??= String(await renderApiDocsPage(built(), jsonUrl));
    return c.html(page);
  });
  return built;
}
