import type { TokenSet } from "./tokens.ts";

/** The console's session cookie. `__Host-` would need HTTPS, which the loopback sandbox lacks. */
export const SESSION_COOKIE = "silta_admin";
/** How long a console login lasts. */
export const SESSION_TTL_MS = 8 * 3_600_000;

export interface AdminSession {
  /** Fingerprint of the admin token used to log in; the actor in audit rows is `admin:<fingerprint>`. */
  fingerprint: string;
  /** Expiry, epoch ms. */
  exp: number;
  /** Random per session; the CSRF token is derived from it. */
  nonce: string;
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
 * Signs and reads console sessions: `<payload>.<HMAC-SHA256>` with a key derived from the admin
 * tokens (so rotating every token logs everyone out, and no extra secret needs configuring).
 * The CSRF token is an HMAC of the session's nonce, checked on every form post.
 */
export function createSessionSigner(adminTokens: readonly string[]) {
  let key: Promise<CryptoKey> | null = null;
  const hmacKey = () => {
    key ??= crypto.subtle
      .digest("SHA-256", encoder.encode(`silta-console-session\n${[...adminTokens].sort().join("\n")}`))
      .then((secret) => crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));
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
    /** A fresh session for the admin whose token has this fingerprint, as a cookie value. */
    async issue(fingerprint: string, now: number): Promise<{ value: string; session: AdminSession }> {
      const session: AdminSession = {
        fingerprint,
        exp: now + SESSION_TTL_MS,
        nonce: base64url(crypto.getRandomValues(new Uint8Array(16))),
      };
      const payload = base64url(encoder.encode(JSON.stringify(session)));
      return { value: `${payload}.${await sign(payload)}`, session };
    },
    /** The session in a cookie value, if its signature holds, it has not expired and its token is still configured. */
    async read(value: string | undefined, now: number, tokens: TokenSet): Promise<AdminSession | null> {
      if (!value || value.length > 1000) return null;
      const [payload, signature, extra] = value.split(".");
      if (!payload || !signature || extra !== undefined || !(await verify(payload, signature))) return null;
      try {
        const session = JSON.parse(fromBase64url(payload)) as Partial<AdminSession>;
        if (typeof session.fingerprint !== "string" || typeof session.exp !== "number" || typeof session.nonce !== "string")
          return null;
        if (session.exp <= now || !(await tokens.hasFingerprint(session.fingerprint))) return null;
        return { fingerprint: session.fingerprint, exp: session.exp, nonce: session.nonce };
      } catch {
        return null;
      }
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
