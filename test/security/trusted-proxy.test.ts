import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.ts";
import { type AppOptions, createApp } from "../../src/http/app.ts";
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from "../../src/http/limits/rate-limit.ts";
import { createForwardedReader } from "../../src/lib/trusted-proxy.ts";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture } from "../integration/http-admin-fixture.ts";

/**
 * SILTA_TRUSTED_PROXY: behind a trusted proxy the console cookie gets `Secure` when the browser
 * came over TLS (`X-Forwarded-Proto: https`) and login attempts are counted per client address
 * (`X-Forwarded-For`); without the setting, or from a peer that is not the proxy, neither header
 * counts: anyone could send them.
 */
let f: HttpFixture;
beforeAll(async () => {
  f = await createHttpFixture();
}, 60_000);
afterAll(async () => f?.dispose());

const PROXY = "10.0.0.5";
/** One login attempt per address and minute; the other limits as shipped. */
const LIMITS: RateLimitSettings = { ...DEFAULT_RATE_LIMITS, login: { perSecond: 1 / 60, burst: 1 } };

/** An app whose peer address is the `x-test-peer` header (as the Node server's socket address would be). */
function appWith(options: Partial<AppOptions>): OpenAPIHono {
  return createApp(f.deps, {
    adminTokens: [ADMIN_TOKEN],
    clientAddress: (c) => c.req.header("x-test-peer") ?? null,
    ...options,
  });
}

function login(app: OpenAPIHono, headers: Record<string, string>, token = ADMIN_TOKEN) {
  return app.request("/admin/login", {
    method: "POST",
    body: new URLSearchParams({ token }),
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  });
}

const secure = (response: Response) => /;\s*Secure/i.test(response.headers.get("set-cookie") ?? "");

describe("the session cookie's Secure flag", () => {
  it("without the setting, X-Forwarded-Proto is ignored: only an https URL makes the cookie Secure", async () => {
    const app = appWith({});
    const forwarded = await login(app, { "x-test-peer": PROXY, "x-forwarded-proto": "https" });
    expect(forwarded.status).toBe(303);
    expect(secure(forwarded)).toBe(false);
    const direct = await app.request("https://silta.example/admin/login", {
      method: "POST",
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(secure(direct)).toBe(true);
  });

  it("behind the trusted proxy, X-Forwarded-Proto: https makes it Secure; http does not", async () => {
    for (const trustedProxy of ["any", [PROXY], ["10.0.0.0/8"]] as const) {
      const app = appWith({ trustedProxy });
      expect(secure(await login(app, { "x-test-peer": PROXY, "x-forwarded-proto": "https" })), String(trustedProxy)).toBe(true);
      expect(secure(await login(app, { "x-test-peer": PROXY, "x-forwarded-proto": "HTTPS, http" }))).toBe(true);
      expect(secure(await login(app, { "x-test-peer": PROXY, "x-forwarded-proto": "http" }))).toBe(false);
      expect(secure(await login(app, { "x-test-peer": PROXY }))).toBe(false);
    }
  });

  it("a peer that is not the listed proxy cannot claim https", async () => {
    const app = appWith({ trustedProxy: [PROXY] });
    expect(secure(await login(app, { "x-test-peer": "192.0.2.7", "x-forwarded-proto": "https" }))).toBe(false);
    // Node reports an IPv4 peer on a dual-stack socket as IPv4-mapped IPv6: still the proxy.
    expect(secure(await login(app, { "x-test-peer": `::ffff:${PROXY}`, "x-forwarded-proto": "https" }))).toBe(true);
  });

  it("logout's expired cookie carries the same flags", async () => {
    const app = appWith({ trustedProxy: [PROXY] });
    const headers = { "x-test-peer": PROXY, "x-forwarded-proto": "https" };
    const cookie = (await login(app, headers)).headers.get("set-cookie")?.split(";")[0] ?? "";
    const html = await (await app.request("/admin", { headers: { ...headers, cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const out = await app.request("/admin/logout", {
      method: "POST",
      body: new URLSearchParams({ _csrf: csrf }),
      headers: { ...headers, cookie, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0.*Secure|Secure.*Max-Age=0/i);
  });
});

describe("the client address of the login limit", () => {
  const refusedLogin = (app: OpenAPIHono, headers: Record<string, string>) =>
    login(app, headers, "wrong-token-0123456789abcdefXYZ");

  it("without the setting, X-Forwarded-For is ignored: every client behind the proxy shares its bucket", async () => {
    const app = appWith({ rateLimits: LIMITS });
    expect((await refusedLogin(app, { "x-test-peer": PROXY, "x-forwarded-for": "198.51.100.1" })).status).toBe(401);
    expect((await refusedLogin(app, { "x-test-peer": PROXY, "x-forwarded-for": "198.51.100.2" })).status).toBe(429);
  });

  it("behind the trusted proxy, each client address has its own bucket, and a spoofed entry on the left does not help", async () => {
    const app = appWith({ trustedProxy: [PROXY], rateLimits: LIMITS });
    expect((await refusedLogin(app, { "x-test-peer": PROXY, "x-forwarded-for": "198.51.100.1" })).status).toBe(401);
    expect((await refusedLogin(app, { "x-test-peer": PROXY, "x-forwarded-for": "198.51.100.2" })).status).toBe(401);
    // The proxy appends the address it saw; whatever the client wrote before it is the client's claim.
    expect((await refusedLogin(app, { "x-test-peer": PROXY, "x-forwarded-for": "203.0.113.9, 198.51.100.1" })).status).toBe(429);
    // A client reaching Silta directly cannot pick a fresh bucket per request.
    expect((await refusedLogin(app, { "x-test-peer": "192.0.2.7", "x-forwarded-for": "198.51.100.3" })).status).toBe(401);
    expect((await refusedLogin(app, { "x-test-peer": "192.0.2.7", "x-forwarded-for": "198.51.100.4" })).status).toBe(429);
  });
});

describe("createForwardedReader", () => {
  it("takes the rightmost address that is not a trusted proxy", () => {
    const reader = createForwardedReader(["10.0.0.0/8", "fd00::/8"]);
    expect(reader.clientAddress("10.0.0.5", "198.51.100.1, 10.1.1.1")).toBe("198.51.100.1");
    expect(reader.clientAddress("10.0.0.5", "203.0.113.9,198.51.100.1,fd00::1")).toBe("198.51.100.1");
    expect(reader.clientAddress("10.0.0.5", "::ffff:198.51.100.1")).toBe("198.51.100.1");
    expect(reader.clientAddress("10.0.0.5", "2001:db8::1")).toBe("2001:db8::1");
    // Only proxies in the header: the leftmost of them; garbage: the walk stops at the last readable entry.
    expect(reader.clientAddress("10.0.0.5", "10.2.2.2, 10.1.1.1")).toBe("10.2.2.2");
    expect(reader.clientAddress("10.0.0.5", "198.51.100.1, not-an-address")).toBe("10.0.0.5");
    expect(reader.clientAddress("192.0.2.7", "198.51.100.1")).toBe("192.0.2.7");
    expect(reader.clientAddress(null, "198.51.100.1")).toBeNull();
  });

  it("with `any`, believes whichever peer (the Worker knows none) and takes the last hop", () => {
    const reader = createForwardedReader("any");
    expect(reader.clientAddress(null, "203.0.113.9, 198.51.100.1")).toBe("198.51.100.1");
    expect(reader.isHttps("http://silta.internal/admin", null, "https")).toBe(true);
  });

  it("with nobody trusted, ignores both headers", () => {
    const reader = createForwardedReader([]);
    expect(reader.clientAddress("10.0.0.5", "198.51.100.1")).toBe("10.0.0.5");
    expect(reader.isHttps("http://silta.internal/admin", "10.0.0.5", "https")).toBe(false);
    expect(reader.isHttps("https://silta.example/admin", "10.0.0.5", undefined)).toBe(true);
  });
});

describe("SILTA_TRUSTED_PROXY", () => {
  const parse = (value: string | undefined) =>
    parseConfig({ SILTA_OPEN311_URL: "https://open311.example", SILTA_TRUSTED_PROXY: value }, []).trustedProxy;

  it("is off unless set; true trusts any peer; a list names the proxies", () => {
    expect(parse(undefined)).toEqual([]);
    expect(parse("false")).toEqual([]);
    expect(parse("true")).toBe("any");
    expect(parse("10.0.0.5, 10.1.0.0/16,fd00::/8")).toEqual(["10.0.0.5", "10.1.0.0/16", "fd00::/8"]);
  });

  it.each(["yes", "10.0.0.300", "proxy.internal", "10.0.0.0/33", ""])("refuses %j, naming the setting", (value) => {
    expect(() => parse(value)).toThrow(/SILTA_TRUSTED_PROXY/);
  });
});
