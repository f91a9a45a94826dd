import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { ConsoleSessionStore } from "../../domain/admin/console-sessions.ts";
import type { TokenSet } from "./tokens.ts";

/** The console's session cookie. `__Host-` would need HTTPS, which the loopback sandbox lacks. */
export const SESSION_COOKIE = "silta_admin";
/** How long a console login lasts. */
export const SESSION_TTL_MS = 8 * 3_600_000;
/** The cookie goes to the console only. */
const COOKIE_PATH = "/admin";

export interface AdminSession {
  /** Fingerprint of the admin token used to log in; the actor in audit rows is `admin:<fingerprint>`. */
  fingerprint: string;
  /** Expiry, epoch ms. */
  exp: number;
  /** Random per session: the session's id on the server (stored hashed), and what its CSRF token is derived from. */
  nonce: string;
}

export interface SessionSignerOptions {
  /** The sessions on the server: a cookie opens the console only while its session is live there. */
  store: ConsoleSessionStore;
  /** Whether the browser reached Silta over TLS, so the cookie gets `Secure`; default: the request URL's scheme. */
  isHttps?: (c: Context) => boolean;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function fromBase64url(text: string): string {
  return atob(text.replace(/-/g, "+").replace(/_/g, "/"));
}

/**
 * Console sessions in an HttpOnly, SameSite=Strict cookie signed by `hono/cookie`
 * (`<payload>.<HMAC-SHA256>`, verified with WebCrypto's constant-time `verify`). The key is
 * derived from the admin tokens, so rotating every token logs everyone out and no extra secret
 * needs configuring. The payload carries its own expiry, checked on every read besides the
 * cookie's Max-Age; a cookie that holds is then looked up in the server's session store, so a
 * logout ends the session for every copy of its cookie. The CSRF token is an HMAC of the
 * session's nonce under the same key, checked on every form post; the two never collide: a
 * payload is base64url, which has no `:`.
 */
export function createSessionSigner(adminTokens: readonly string[], options: SessionSignerOptions) {
  const { store } = options;
  const isHttps = options.isHttps ?? ((c: Context) => new URL(c.req.url).protocol === "https:");
  let secret: Promise<ArrayBuffer> | null = null;
  const sessionSecret = () => {
    secret ??= crypto.subtle.digest("SHA-256", encoder.encode(`silta-console-session\n${[...adminTokens].sort().join("\n")}`));
    return secret;
  };
  let key: Promise<CryptoKey> | null = null;
  const hmacKey = () => {
    key ??= sessionSecret().then((raw) =>
      crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
    );
    return key;
  };
  const sign = async (text: string) =>
    base64url(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(), encoder.encode(text))));
  const verify = async (text: string, signature: string) => {
    try {
      const bytes = Uint8Array.from(fromBase64url(signature), (ch) => ch.charCodeAt(0));
      return await crypto.subtle.verify("HMAC", await hmacKey(), bytes, encoder.encode(text));
    } catch {
      return false;
    }
  };
  return {
    /** Starts a session for the admin whose token has this fingerprint: records it, sets its signed cookie on the answer. */
    async start(c: Context, fingerprint: string, now: number): Promise<AdminSession> {
      const session: AdminSession = {
        fingerprint,
        exp: now + SESSION_TTL_MS,
        nonce: base64url(crypto.getRandomValues(new Uint8Array(16))),
      };
      await store.start(session.nonce, fingerprint, new Date(session.exp), new Date(now));
      const payload = base64url(encoder.encode(JSON.stringify(session)));
      await setSignedCookie(c, SESSION_COOKIE, payload, await sessionSecret(), {
        httpOnly: true,
        sameSite: "Strict",
        secure: isHttps(c),
        path: COOKIE_PATH,
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      });
      return session;
    },
    /**
     * The request's session, if its cookie's signature holds, it has not expired, its token is
     * still configured and the server still has it (not logged out).
     */
    async read(c: Context, now: number, tokens: TokenSet): Promise<AdminSession | null> {
      // undefined: no cookie; false: a signature that does not hold.
      const payload = await getSignedCookie(c, await sessionSecret(), SESSION_COOKIE);
      if (!payload) return null;
      let session: Partial<AdminSession> | null;
      try {
        session = JSON.parse(fromBase64url(payload)) as Partial<AdminSession> | null;
      } catch {
        return null;
      }
      if (typeof session !== "object" || session === null) return null;
      if (typeof session.fingerprint !== "string" || typeof session.exp !== "number" || typeof session.nonce !== "string")
        return null;
      if (session.exp <= now || !(await tokens.hasFingerprint(session.fingerprint))) return null;
      // Last, so that only a cookie this key signed costs a database read.
      if (!(await store.isLive(session.nonce, new Date(now)))) return null;
      return { fingerprint: session.fingerprint, exp: session.exp, nonce: session.nonce };
    },
    /** Ends the session on the server (every copy of its cookie stops working) and in the browser (an expired cookie in its place). */
    async end(c: Context, session: AdminSession): Promise<void> {
      await store.end(session.nonce);
      deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: isHttps(c) });
    },
    /** The session's CSRF token, for hidden form fields. */
    csrfToken: (session: AdminSession) => sign(`csrf:${session.nonce}`),
    /** Whether a posted CSRF token belongs to this session. */
    async checkCsrf(session: AdminSession, posted: unknown): Promise<boolean> {
      return typeof posted === "string" && posted.length < 200 && verify(`csrf:${session.nonce}`, posted);
    },
  };
}

export type SessionSigner = ReturnType<typeof createSessionSigner>;
