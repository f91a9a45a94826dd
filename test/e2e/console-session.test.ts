import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { consoleSessions, outboxJobs } from "../../src/db/schema/index.ts";
import { sha256Hex } from "../../src/lib/hash.ts";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture, OTHER_ADMIN_TOKEN } from "../integration/http-admin-fixture.ts";

/** The console's login, session cookie and CSRF protection, over the app's own fetch. */
let f: HttpFixture;
beforeAll(async () => {
  f = await createHttpFixture();
});
afterAll(async () => f?.dispose());

const form = (fields: Record<string, string>) => ({
  method: "POST",
  body: new URLSearchParams(fields),
  headers: { "content-type": "application/x-www-form-urlencoded" },
});

async function login(token = ADMIN_TOKEN): Promise<string> {
  const response = await f.request("/admin/login", form({ token }));
  expect(response.status).toBe(303);
  const cookie = response.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0] ?? "";
}

async function page(path: string, cookie: string) {
  return f.request(path, { headers: { cookie } });
}

function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error("no CSRF field on the page");
  return match[1];
}

describe("console login", () => {
  it("refuses a wrong token without a cookie, and sends a visitor without a session to the login page", async () => {
    const refused = await f.request("/admin/login", form({ token: "wrong-token-0123456789abcdef" }));
    expect(refused.status).toBe(401);
    expect(refused.headers.get("set-cookie")).toBeNull();
    const anonymous = await f.request("/admin");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/admin/login");
    expect((await f.request("/admin/failures/1/replay", form({}))).status).toBe(401);
  });

  it("sets an HttpOnly, SameSite=Strict session cookie scoped to /admin", async () => {
    const response = await f.request("/admin/login", form({ token: ADMIN_TOKEN }));
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^silta_admin=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/admin/);
    expect(cookie).not.toContain(ADMIN_TOKEN);
  });

  it("refuses a tampered or foreign session cookie", async () => {
    const cookie = await login();
    const [name, value] = cookie.split("=");
    const [payload, signature] = (value ?? "").split(".");
    const forgedPayload = btoa(JSON.stringify({ fingerprint: "00000000", exp: Date.now() + 3_600_000, nonce: "x" })).replace(
      /=+$/,
      "",
    );
    for (const bad of [
      `${name}=${payload}.AAAA${signature?.slice(4)}`,
      `${name}=${forgedPayload}.${signature}`,
      `${name}=garbage`,
    ]) {
      expect((await page("/admin", bad)).status).toBe(303);
    }
    expect((await page("/admin", cookie)).status).toBe(200);
  });

  it("ends a session after 8 hours even if the browser still sends its cookie", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      const cookie = await login();
      expect((await page("/admin/audit", cookie)).status).toBe(200);
      vi.setSystemTime(Date.now() + 8 * 3_600_000 - 1_000);
      expect((await page("/admin/audit", cookie)).status).toBe(200);
      vi.setSystemTime(Date.now() + 2_000);
      const expired = await page("/admin/audit", cookie);
      expect(expired.status).toBe(303);
      expect(expired.headers.get("location")).toBe("/admin/login");
    } finally {
      vi.useRealTimers();
    }
  });

  it("logs the second admin in as a different actor", async () => {
    const first = await page("/admin", await login(ADMIN_TOKEN));
    const second = await page("/admin", await login(OTHER_ADMIN_TOKEN));
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
  });
});

describe("console actions", () => {
  it("need the session's CSRF token; with it, a replay runs and leaves an audit row", async () => {
    const dead = await f.deadLetterEast();
    const cookie = await login();
    const detail = await page(`/admin/failures/${dead.jobId}`, cookie);
    expect(detail.status).toBe(200);
    const html = await detail.text();
    expect(html).toContain("target_rejected");
    expect(html).toContain(dead.externalRef);
    expect(detail.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");

    const withoutCsrf = await f.request(`/admin/failures/${dead.jobId}/replay`, {
      ...form({}),
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(withoutCsrf.status).toBe(403);
    const otherSession = csrfOf(await (await page("/admin", await login())).text());
    const foreign = await f.request(`/admin/failures/${dead.jobId}/replay`, {
      ...form({ _csrf: otherSession }),
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(foreign.status).toBe(403);
    const [still] = await f.database.db.select().from(outboxJobs).where(eq(outboxJobs.id, dead.jobId));
    expect(still?.state).toBe("dead");

    const done = await f.request(`/admin/failures/${dead.jobId}/replay`, {
      ...form({ _csrf: csrfOf(html) }),
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`/admin/failures/${dead.jobId}?done=requeued`);
    const [job] = await f.database.db.select().from(outboxJobs).where(eq(outboxJobs.id, dead.jobId));
    expect(job?.state).toBe("pending");
    const audit = await (await page("/admin/audit", cookie)).text();
    expect(audit).toContain("job.replay");
  });

  it("renders every page for a logged-in admin", async () => {
    const cookie = await login();
    const dead = await f.deadLetterEast();
    for (const path of [
      "/admin",
      "/admin/failures",
      "/admin/failures?state=dead&errorClass=permanent&q=t0",
      "/admin/quarantine",
      "/admin/audit",
      `/admin/cases/${dead.caseId}`,
    ]) {
      const response = await page(path, cookie);
      expect(response.status, path).toBe(200);
    }
    const overview = await (await page("/admin", cookie)).text();
    expect(overview).toContain('id="dead-letter-causes"');
    expect(overview).toContain(`errorCode=target_rejected`);
    expect((await page("/admin/cases/nope", cookie)).status).toBe(404);
    expect((await page("/admin/failures/999999", cookie)).status).toBe(404);
  });

  it("logging out ends the session in the browser", async () => {
    const cookie = await login();
    const html = await (await page("/admin", cookie)).text();
    const out = await f.request("/admin/logout", {
      ...form({ _csrf: csrfOf(html) }),
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/silta_admin=;.*Max-Age=0/i);
  });

  it("logging out ends the session on the server: a copy of the cookie no longer opens the console or posts a form", async () => {
    const cookie = await login();
    const other = await login();
    const html = await (await page("/admin", cookie)).text();
    const csrf = csrfOf(html);
    const out = await f.request("/admin/logout", {
      ...form({ _csrf: csrf }),
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(out.status).toBe(303);
    // The copied cookie is still signed and unexpired: only the server can refuse it now.
    const replayed = await page("/admin/audit", cookie);
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get("location")).toBe("/admin/login");
    const posted = await f.request("/admin/quarantine/map", {
      ...form({ _csrf: csrf, target: "stara", code: "X", canonical: "received" }),
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(posted.status).toBe(401);
    // Another session of the same admin is not touched.
    expect((await page("/admin/audit", other)).status).toBe(200);
  });

  it("keeps sessions on the server as hashes, and a login prunes the expired ones", async () => {
    const session = async (cookie: string) => {
      const payload = decodeURIComponent(cookie.split("=")[1] ?? "").split(".")[0] ?? "";
      return (JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { nonce: string }).nonce;
    };
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      const nonce = await session(await login());
      const rows = await f.database.db.select().from(consoleSessions);
      expect(rows.map((r) => r.idHash)).toContain(sha256Hex(nonce));
      expect(JSON.stringify(rows)).not.toContain(nonce);
      vi.setSystemTime(Date.now() + 8 * 3_600_000 + 1_000);
      await login();
      const left = await f.database.db.select().from(consoleSessions);
      expect(left).toHaveLength(1);
      expect(left[0]?.idHash).not.toBe(sha256Hex(nonce));
    } finally {
      vi.useRealTimers();
    }
  });
});
