import type { OpenAPIHono } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.ts";
import { createApp } from "../../src/http/app.ts";
import { createRateLimiter, DEFAULT_RATE_LIMITS, type RateLimitSettings } from "../../src/http/limits/rate-limit.ts";
import { signWebhook } from "../../src/lib/webhook-signature.ts";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture, OTHER_ADMIN_TOKEN } from "../integration/http-admin-fixture.ts";

/**
 * S4 rate limits: one client's flood is answered 429 with Retry-After and the surface's error
 * body, and another client, interleaved, is not touched. Refill is slow (1 token a minute) so
 * the counts do not depend on how fast the machine runs the loop.
 */
const SLOW = { perSecond: 1 / 60, burst: 5 };
const LIMITS: RateLimitSettings = { contractor: SLOW, admin: SLOW, login: { perSecond: 3 / 60, burst: 3 }, webhook: SLOW };

let f: HttpFixture;
let app: OpenAPIHono;
beforeAll(async () => {
  f = await createHttpFixture();
  app = createApp(f.deps, {
    adminTokens: [ADMIN_TOKEN, OTHER_ADMIN_TOKEN],
    rateLimits: LIMITS,
    clientAddress: (c) => c.req.header("x-test-peer") ?? null,
  });
}, 60_000);
afterAll(async () => f?.dispose());

type ErrorJson = { error: { code: string; message: string; requestId: string } };

function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  return app.request(path, { ...init, headers });
}

async function expectLimited(response: Response) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${response.headers.get("retry-after")}`).toBe(true);
  return retryAfter;
}

describe("contractor API, per key", () => {
  it("contractor A's flood gets 429 with Retry-After and the error body; contractor B, interleaved, gets only 2xx", async () => {
    const a: number[] = [];
    const b: number[] = [];
    let limitedBody: ErrorJson | null = null;
    for (let i = 0; i < 40; i++) {
      const response = await call("/api/contractor/v1/work-orders?limit=1", { token: f.keys.east });
      a.push(response.status);
      if (response.status === 429) {
        await expectLimited(response);
        limitedBody ??= (await response.json()) as ErrorJson;
      }
      if (i % 10 === 0) b.push((await call("/api/contractor/v1/work-orders?limit=1", { token: f.keys.west })).status);
    }
    expect(a.filter((s) => s === 200).length).toBeLessThanOrEqual(SLOW.burst + 1);
    expect(a.filter((s) => s === 429).length).toBeGreaterThanOrEqual(40 - SLOW.burst - 1);
    expect(limitedBody?.error.code).toBe("rate_limited");
    expect(limitedBody?.error.requestId).not.toBe("");
    expect(b).toEqual([200, 200, 200, 200]);
  });

  it("a limited key is refused before it is looked up, so a flood with an unknown key costs no database work", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await call("/api/contractor/v1/work-orders", { token: "not-a-key-xyz" })).status);
    expect(statuses.slice(0, SLOW.burst)).toEqual(Array(SLOW.burst).fill(401));
    expect(statuses.slice(SLOW.burst + 1)).toEqual(Array(10 - SLOW.burst - 1).fill(429));
  });
});

describe("admin API and console", () => {
  it("one admin token's flood gets 429; another admin token is untouched", async () => {
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 20; i++) {
      // The list route: "/failures" and "/failures/*" both match it, and it must count once.
      const response = await call("/api/admin/v1/failures", { token: ADMIN_TOKEN });
      a.push(response.status);
      if (response.status === 429) {
        await expectLimited(response);
        expect(((await response.json()) as ErrorJson).error.code).toBe("rate_limited");
      }
      if (i % 5 === 0) b.push((await call("/api/admin/v1/failures", { token: OTHER_ADMIN_TOKEN })).status);
    }
    expect(a.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20 - SLOW.burst - 1);
    expect(a.filter((s) => s === 200).length).toBeGreaterThanOrEqual(SLOW.burst);
    expect(b).toEqual([200, 200, 200, 200]);
  });

  const loginForm = (token: string, peer: string) =>
    call("/admin/login", {
      method: "POST",
      body: new URLSearchParams({ token }),
      headers: { "content-type": "application/x-www-form-urlencoded", "x-test-peer": peer },
    });

  it("login: a fourth attempt within the minute from one address gets 429; another address still logs in", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await loginForm("wrong-token-0123456789abcdef", "198.51.100.7")).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    // Even the right token is refused from the limited address: a guesser cannot tell.
    await expectLimited(await loginForm(OTHER_ADMIN_TOKEN, "198.51.100.7"));
    const other = await loginForm(OTHER_ADMIN_TOKEN, "203.0.113.9");
    expect(other.status).toBe(303);
  });

  it("a console session's flood gets 429 while a second session is untouched", async () => {
    const login = async (peer: string) =>
      ((await loginForm(ADMIN_TOKEN, peer)).headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const first = await login("192.0.2.1");
    const second = await login("192.0.2.2");
    const a: number[] = [];
    for (let i = 0; i < 10; i++) a.push((await call("/admin/findings-none", { headers: { cookie: first } })).status);
    expect(a.slice(SLOW.burst + 1)).toEqual(Array(10 - SLOW.burst - 1).fill(429));
    expect((await call("/admin/audit", { headers: { cookie: second } })).status).toBe(200);
  });
});

describe("webhooks, per target", () => {
  let seq = 0;
  const signed = () => {
    seq++;
    const text = JSON.stringify({
      tapahtumat: [
        {
          tapahtuma_id: `rl-${seq}`,
          tunnus: `ST-${seq}`,
          ulkoinen_viite: `helsinki:rl-${seq}:stara`,
          tila: "TYÖN_ALLA",
          aikaleima: new Date().toISOString(),
        },
      ],
    });
    return { text, headers: { "content-type": "application/json", ...signWebhook([f.staraSecrets[0]], text, `msg_rl_${seq}`) } };
  };

  it("an unsigned flood does not use up the target's allowance; signed ones beyond it get 429", async () => {
    for (let i = 0; i < 10; i++) {
      const { text } = signed();
      const forged = await call("/webhooks/stara", {
        method: "POST",
        body: text,
        headers: { "content-type": "application/json" },
      });
      expect(forged.status).toBe(401);
    }
    const statuses: number[] = [];
    for (let i = 0; i < SLOW.burst + 2; i++) {
      const { text, headers } = signed();
      statuses.push((await call("/webhooks/stara", { method: "POST", body: text, headers })).status);
    }
    expect(statuses.slice(0, SLOW.burst)).toEqual(Array(SLOW.burst).fill(200));
    expect(statuses.at(-1)).toBe(429);
  });
});

describe("the token bucket", () => {
  it("refills at its rate, caps at its burst and names the wait in whole seconds", () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 2, burst: 4 }, { now: () => now });
    const take = () => limiter.take("k");
    expect([take(), take(), take(), take()].every((r) => r.ok)).toBe(true);
    expect(take()).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 500;
    expect(take().ok).toBe(true);
    expect(take().ok).toBe(false);
    now += 60_000;
    expect([take(), take(), take(), take(), take()].map((r) => r.ok)).toEqual([true, true, true, true, false]);
    const slow = createRateLimiter({ perSecond: 5 / 60, burst: 1 }, { now: () => now });
    slow.take("x");
    expect(slow.take("x")).toEqual({ ok: false, retryAfterSeconds: 12 });
  });

  it("keeps at most maxKeys buckets, so a flood of new keys cannot grow memory", () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 1, burst: 2 }, { now: () => now, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) {
      now += 1;
      limiter.take(`key-${i}`);
    }
    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it("0 per second turns the limit off", () => {
    const limiter = createRateLimiter({ perSecond: 0, burst: 1 });
    expect(Array.from({ length: 100 }, () => limiter.take("k").ok).every(Boolean)).toBe(true);
  });
});

describe("configuration", () => {
  const base = { SILTA_OPEN311_URL: "https://open311.example/v1" };

  it("defaults to contractor 20/s burst 40, admin 10/s, login 5 a minute", () => {
    const config = parseConfig(base, []);
    expect(config.rateLimits).toEqual(DEFAULT_RATE_LIMITS);
  });

  it("reads SILTA_RATE_LIMIT_* and names every bad one", () => {
    const config = parseConfig(
      {
        ...base,
        SILTA_RATE_LIMIT_CONTRACTOR_PER_SECOND: "5",
        SILTA_RATE_LIMIT_CONTRACTOR_BURST: "7",
        SILTA_RATE_LIMIT_LOGIN_PER_MINUTE: "0",
      },
      [],
    );
    expect(config.rateLimits.contractor).toEqual({ perSecond: 5, burst: 7 });
    expect(config.rateLimits.login.perSecond).toBe(0);
    expect(() =>
      parseConfig({ ...base, SILTA_RATE_LIMIT_ADMIN_PER_SECOND: "fast", SILTA_RATE_LIMIT_WEBHOOK_BURST: "0" }, []),
    ).toThrow(/SILTA_RATE_LIMIT_ADMIN_PER_SECOND[\s\S]*SILTA_RATE_LIMIT_WEBHOOK_BURST/);
  });
});
