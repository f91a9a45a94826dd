import { createRoute, z } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { createContractorApi } from "../../src/http/contractor-api/app.ts";
import { createHttpApp, INTERNAL_ERROR_MESSAGE } from "../../src/http/create-http-app.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import type { ContractorGateway } from "../../src/ports/contractor-gateway.ts";

/**
 * The one app builder every HTTP app uses: a validation failure, an unexpected error, an
 * HTTPException, a caller's SiltaError and an unknown path answer alike in the root app and in
 * a mounted sub-app, with `{ error: { code, message, requestId } }` and the request id header.
 */
type ErrorJson = { error: { code: string; message: string; requestId: string } };

function recordingLog() {
  const lines: { fields: Record<string, unknown>; message: string | undefined }[] = [];
  return { lines, error: (fields: Record<string, unknown>, message?: string) => lines.push({ fields, message }) };
}

async function errorOf(response: Response, status: number, code: string): Promise<ErrorJson> {
  const body = (await response.json()) as ErrorJson;
  expect({ status: response.status, code: body.error.code }).toEqual({ status, code });
  expect(body.error.requestId).not.toBe("");
  expect(body.error.requestId).toBe(response.headers.get("x-request-id"));
  return body;
}

const itemRoute = createRoute({
  method: "post",
  path: "/items/{id}",
  request: {
    params: z.object({ id: z.coerce.number().int().min(1) }),
    body: { required: true, content: { "application/json": { schema: z.object({ name: z.string().max(5) }) } } },
  },
  responses: { 200: { description: "ok" } },
});

function buildApp(log = recordingLog()) {
  const app = createHttpApp({ log });
  app.openapi(itemRoute, (c) => c.json({ ok: true }, 200));
  app.get("/boom", () => {
    throw new Error("connection to db.internal:5432 refused");
  });
  app.get("/teapot", () => {
    throw new HTTPException(409, { message: "already done" });
  });
  app.get("/unavailable", () => {
    throw new HTTPException(503, { message: "pool exhausted at db.internal" });
  });
  app.get("/built", () => {
    throw new HTTPException(401, { res: new Response("custom", { status: 401, headers: { "x-built": "yes" } }) });
  });
  app.get("/signature", () => {
    throw new SiltaError("webhook_signature_invalid", "webhook rejected: no matching signature");
  });
  app.get("/malformed", () => {
    throw new SiltaError("webhook_malformed", "Stara webhook body is not JSON");
  });
  return { app, log };
}

const post = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

describe("createHttpApp", () => {
  it("answers a validation failure 400 invalid_request, naming paths but never values", async () => {
    const { app } = buildApp();
    const body = await errorOf(await app.request("/items/0", post({ name: "secret-value" })), 400, "invalid_request");
    expect(body.error.message).toContain("id:");
    expect(body.error.message).not.toContain("secret-value");
    const second = await errorOf(await app.request("/items/1", post({ name: "secret-value" })), 400, "invalid_request");
    expect(second.error.message).toMatch(/^name: /);
    expect(second.error.message).not.toContain("secret-value");
  });

  it("answers an unexpected error 500 without its detail, and logs it with the request id", async () => {
    const { app, log } = buildApp();
    const body = await errorOf(await app.request("/boom"), 500, "internal_error");
    expect(body.error.message).toBe(INTERNAL_ERROR_MESSAGE);
    expect(log.lines).toEqual([
      { fields: { requestId: body.error.requestId, err: "connection to db.internal:5432 refused" }, message: "request failed" },
    ]);
  });

  it("answers an HTTPException with its status and code; a 5xx one is logged and its message withheld", async () => {
    const { app, log } = buildApp();
    const conflict = await errorOf(await app.request("/teapot"), 409, "conflict");
    expect(conflict.error.message).toBe("already done");
    expect(log.lines).toHaveLength(0);
    const unavailable = await errorOf(await app.request("/unavailable"), 503, "internal_error");
    expect(unavailable.error.message).toBe(INTERNAL_ERROR_MESSAGE);
    expect(log.lines).toHaveLength(1);
  });

  it("sends an HTTPException's own response as built (bearer auth's 401)", async () => {
    const { app } = buildApp();
    const response = await app.request("/built");
    expect(response.status).toBe(401);
    expect(response.headers.get("x-built")).toBe("yes");
    expect(await response.text()).toBe("custom");
  });

  it("answers a webhook's bad signature 401 and a malformed body 400, unlogged", async () => {
    const { app, log } = buildApp();
    const signature = await errorOf(await app.request("/signature"), 401, "unauthorized");
    expect(signature.error.message).toContain("no matching signature");
    await errorOf(await app.request("/malformed"), 400, "invalid_request");
    expect(log.lines).toHaveLength(0);
  });

  it("answers an unknown path 404 not_found", async () => {
    const { app } = buildApp();
    const body = await errorOf(await app.request("/nope", { method: "DELETE" }), 404, "not_found");
    expect(body.error.message).toBe("no route for DELETE /nope");
  });
});

describe("a sub-app mounted in a createHttpApp app", () => {
  const failingGateway = {
    authenticate: async (key: string) => (key === "key-a" ? { targetId: "contractor-a" } : null),
    listFeed: async () => {
      throw new Error("feed query failed");
    },
  } as unknown as ContractorGateway;

  it("keeps the parent's request id and answers and logs its errors like the parent", async () => {
    const rootLog = recordingLog();
    const apiLog = recordingLog();
    const root = createHttpApp({ log: rootLog });
    root.route("/api/contractor/v1", createContractorApi(failingGateway, { log: apiLog }));
    const auth = { headers: { authorization: "Bearer key-a" } };

    const failed = await root.request("/api/contractor/v1/work-orders", auth);
    const body = await errorOf(failed, 500, "internal_error");
    expect(body.error.message).toBe(INTERNAL_ERROR_MESSAGE);
    expect(apiLog.lines).toEqual([
      { fields: { requestId: body.error.requestId, err: "feed query failed" }, message: "request failed" },
    ]);

    const invalid = await errorOf(await root.request("/api/contractor/v1/work-orders?limit=0", auth), 400, "invalid_request");
    expect(invalid.error.message).toMatch(/^limit: /);

    const given = await root.request("/api/contractor/v1/work-orders?limit=0", {
      headers: { ...auth.headers, "x-request-id": "from-the-proxy" },
    });
    expect((await errorOf(given, 400, "invalid_request")).error.requestId).toBe("from-the-proxy");
  });
});
