import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { inboxEvents, links } from "../../src/db/schema/index.ts";
import { createApp } from "../../src/http/app.ts";
import { INBOUND_LIMITS, jsonNestingExceeds } from "../../src/http/limits/inbound-limits.ts";
import { signWebhook } from "../../src/lib/webhook-signature.ts";
import { ADMIN_TOKEN, createHttpFixture, HANDLER_TOKEN, type HttpFixture } from "../integration/http-admin-fixture.ts";
import { makeCase, PLACES } from "../support/fakes.ts";

/**
 * S4 on every inbound surface, through the app's own fetch: body size (declared and chunked),
 * JSON depth before parsing, field and id lengths, and the body-read deadline. Each refusal is
 * the surface's JSON error body, and nothing behind it runs.
 */
let f: HttpFixture;
let ref = "";
const API = "/api/contractor/v1";

beforeAll(async () => {
  f = await createHttpFixture();
  const record = makeCase({ ...PLACES.east });
  await f.deliver(record);
  const [link] = await f.database.db.select().from(links).where(eq(links.caseId, record.serviceRequestId));
  ref = link?.externalRef ?? "";
}, 60_000);
afterAll(async () => f?.dispose());

type ErrorJson = { error: { code: string; message: string; requestId: string } };
const inboxRows = async () => (await f.database.db.select().from(inboxEvents)).length;

/** A chunked body of 16 MiB, far over every limit, in 16 KiB chunks. Counts what was pulled. */
function endlessBody(): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const chunk = new Uint8Array(16 * 1024).fill(0x20);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= 16 * 1024 * 1024) return controller.close();
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => pulled };
}

/** A body that sends one chunk and then stalls. */
function stalledBody(): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return new Promise(() => {});
      sent = true;
      controller.enqueue(new TextEncoder().encode('{"status":'));
    },
  });
}

const surfaces = [
  {
    name: "webhooks",
    path: "/webhooks/stara",
    headers: { "content-type": "application/json" },
    limit: INBOUND_LIMITS.webhookBodyBytes,
  },
  {
    name: "contractor API",
    path: () => `${API}/work-orders/${encodeURIComponent(ref)}/events`,
    headers: { "content-type": "application/json", "idempotency-key": "big-1" },
    token: () => f.keys.east,
    limit: INBOUND_LIMITS.contractorBodyBytes,
  },
  {
    name: "admin API",
    path: "/api/admin/v1/failures/replay",
    headers: { "content-type": "application/json" },
    token: () => ADMIN_TOKEN,
    limit: INBOUND_LIMITS.adminBodyBytes,
  },
  {
    name: "console login form",
    path: "/admin/login",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    limit: INBOUND_LIMITS.consoleFormBytes,
  },
] as const;

const pathOf = (s: (typeof surfaces)[number]) => (typeof s.path === "function" ? s.path() : s.path);
const tokenOf = (s: (typeof surfaces)[number]) => ("token" in s ? s.token() : null);

describe("body size", () => {
  it.each(surfaces)("$name: a body over the limit with Content-Length answers 413 with the error body", async (s) => {
    const before = await inboxRows();
    const response = await f.request(pathOf(s), {
      method: "POST",
      token: tokenOf(s),
      headers: s.headers,
      body: "x".repeat(s.limit + 1),
    });
    const text = await response.text();
    expect(response.status, text).toBe(413);
    const body = JSON.parse(text) as ErrorJson;
    expect(body.error.code).toBe("payload_too_large");
    expect(body.error.requestId).not.toBe("");
    expect(await inboxRows()).toBe(before);
  });

  it.each(surfaces)("$name: a huge chunked body (no Content-Length) answers 413 after reading just past the limit", async (s) => {
    const { stream, pulled } = endlessBody();
    const response = await f.request(pathOf(s), {
      method: "POST",
      token: tokenOf(s),
      headers: s.headers,
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(response.status, await response.clone().text()).toBe(413);
    expect(((await response.json()) as ErrorJson).error.code).toBe("payload_too_large");
    // Reading stopped at the cap: at most a few chunks of read-ahead beyond it.
    expect(pulled()).toBeLessThan(s.limit + 8 * 16 * 1024);
  });

  it("a webhook over the limit is refused before its signature is checked", async () => {
    const stara = f.deps.targets.get("stara");
    if (!stara) throw new Error("fixture has no stara");
    const verify = vi.spyOn(stara, "verifyWebhook");
    const text = JSON.stringify({ tapahtumat: [], pad: "x".repeat(INBOUND_LIMITS.webhookBodyBytes) });
    const response = await f.request("/webhooks/stara", {
      method: "POST",
      body: text,
      headers: { "content-type": "application/json", ...signWebhook([f.staraSecrets[0]], text, "msg_big") },
    });
    expect(response.status).toBe(413);
    expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
  });
});

describe("JSON depth", () => {
  const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

  it("the scan counts nesting outside strings only and honours escapes", () => {
    expect(jsonNestingExceeds(deep(32), 32)).toBe(false);
    expect(jsonNestingExceeds(deep(33), 32)).toBe(true);
    expect(jsonNestingExceeds(JSON.stringify({ note: "[".repeat(100) }), 32)).toBe(false);
    expect(jsonNestingExceeds(JSON.stringify({ note: `\\"${"{".repeat(100)}` }), 32)).toBe(false);
    expect(jsonNestingExceeds(`[${"[".repeat(40)}`, 32)).toBe(true);
    expect(jsonNestingExceeds(new TextEncoder().encode(`{"ä":"ö${"[".repeat(50)}"}`), 32)).toBe(false);
    expect(jsonNestingExceeds(new TextEncoder().encode(deep(40)), 32)).toBe(true);
  });

  it.each([
    ["contractor API", () => `${API}/work-orders/${encodeURIComponent(ref)}/events`, () => f.keys.east],
    ["admin API", () => "/api/admin/v1/failures/replay", () => ADMIN_TOKEN],
    ["webhooks", () => "/webhooks/stara", () => null],
  ])("%s: deeper than 32 levels answers 400 and JSON.parse never sees it", async (_name, path, token) => {
    const text = `{"status":"RECEIVED","x":${deep(200)}}`;
    const parse = vi.spyOn(JSON, "parse");
    const response = await f.request(path(), {
      method: "POST",
      token: token(),
      headers: { "content-type": "application/json", "idempotency-key": "deep-1" },
      body: text,
    });
    const parsedOurs = parse.mock.calls.some(([input]) => typeof input === "string" && input.includes('{"a":{"a":'));
    parse.mockRestore();
    expect(response.status, await response.clone().text()).toBe(400);
    const body = (await response.json()) as ErrorJson;
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toContain("nested deeper than 32");
    expect(parsedOurs).toBe(false);
  });
});

describe("field, array and id lengths", () => {
  it("contractor event: a note over 2,000 characters or an overlong status answers 400, nothing stored", async () => {
    const before = await inboxRows();
    for (const [key, body] of [
      ["long-note", { status: "RECEIVED", occurredAt: new Date().toISOString(), note: "n".repeat(2001) }],
      ["long-status", { status: `S${"X".repeat(64)}`, occurredAt: new Date().toISOString() }],
    ] as const) {
      const response = await f.request(`${API}/work-orders/${encodeURIComponent(ref)}/events`, {
        method: "POST",
        token: f.keys.east,
        headers: { "idempotency-key": key },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBe(400);
      expect(((await response.json()) as ErrorJson).error.code).toBe("invalid_request");
    }
    expect(await inboxRows()).toBe(before);
  });

  it("contractor API: an Idempotency-Key over 200 characters and a work-order id over 300 answer 400", async () => {
    const event = JSON.stringify({ status: "RECEIVED", occurredAt: new Date().toISOString() });
    const longKey = await f.request(`${API}/work-orders/${encodeURIComponent(ref)}/events`, {
      method: "POST",
      token: f.keys.east,
      headers: { "idempotency-key": "k".repeat(201) },
      body: event,
    });
    expect(longKey.status).toBe(400);
    const longId = await f.request(`${API}/work-orders/${"w".repeat(301)}`, { token: f.keys.east });
    expect(longId.status).toBe(400);
  });

  it("admin API: more than 1,000 job ids, or an id beyond 32 bits, answers 400", async () => {
    const many = await f.request("/api/admin/v1/failures/replay", {
      method: "POST",
      token: ADMIN_TOKEN,
      body: JSON.stringify({ dryRun: true, jobIds: Array.from({ length: 1001 }, (_, i) => i + 1) }),
    });
    expect(many.status, await many.clone().text()).toBe(400);
    const huge = await f.request("/api/admin/v1/failures/99999999999", { token: ADMIN_TOKEN });
    expect(huge.status, await huge.clone().text()).toBe(400);
    expect(((await huge.json()) as ErrorJson).error.code).toBe("invalid_request");
  });

  it("handler pages: a case id over 200 characters answers 400 before any lookup", async () => {
    for (const path of [`/api/v1/cases/${"c".repeat(201)}`, `/cases/${"c".repeat(201)}`]) {
      const response = await f.request(path, { token: HANDLER_TOKEN });
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorJson).error.code).toBe("invalid_request");
    }
    expect((await f.request(`/api/v1/cases/${"c".repeat(200)}`, { token: HANDLER_TOKEN })).status).toBe(404);
  });
});

describe("slow bodies", () => {
  it.each([
    ["contractor API", () => `${API}/work-orders/${encodeURIComponent(ref)}/events`, () => f.keys.east],
    ["admin API", () => "/api/admin/v1/failures/replay", () => ADMIN_TOKEN],
    ["webhooks", () => "/webhooks/stara", () => null],
  ])("%s: a body that stalls answers 408 at the read deadline", async (_name, path, token) => {
    const app = createApp(f.deps, { adminTokens: [ADMIN_TOKEN], bodyReadTimeoutMs: 150 });
    const headers = new Headers({ "content-type": "application/json", "idempotency-key": "slow-1" });
    const t = token();
    if (t) headers.set("authorization", `Bearer ${t}`);
    const response = await app.request(path(), { method: "POST", headers, body: stalledBody(), duplex: "half" } as RequestInit);
    expect(response.status, await response.clone().text()).toBe(408);
    expect(((await response.json()) as ErrorJson).error.code).toBe("request_timeout");
  });
});
