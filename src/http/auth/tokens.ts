import { timingSafeEqual } from "hono/utils/buffer";
import { sha256Hex } from "../../lib/hash.ts";

export interface TokenSet {
  /** The fingerprint (`<first 8 hex of SHA-256>`) of the matching token, or null. Compares every token in constant time. */
  match(candidate: string): Promise<string | null>;
  /** Whether a fingerprint still names a configured token (sessions outlive nothing they were made from). */
  hasFingerprint(fingerprint: string): Promise<boolean>;
  readonly size: number;
}

/** Tokens longer than this are not tokens; they are not hashed. */
const MAX_TOKEN_LENGTH = 512;

/**
 * A set of bearer tokens checked in constant time: the candidate's SHA-256 is compared with each
 * configured token's SHA-256 by hono's `timingSafeEqual` (equal lengths, no early exit), and
 * every token is visited, so timing tells neither whether nor which one matched.
 */
export function createTokenSet(tokens: readonly string[]): TokenSet {
  const digests = tokens.map((t) => sha256Hex(t));
  return {
    size: tokens.length,
    async match(candidate) {
      if (!candidate || candidate.length > MAX_TOKEN_LENGTH || tokens.length === 0) return null;
      const wanted = sha256Hex(candidate);
      let found: string | null = null;
      for (const digest of digests) if (await timingSafeEqual(digest, wanted)) found = digest.slice(0, 8);
      return found;
    },
    async hasFingerprint(fingerprint) {
      return digests.some((d) => d.slice(0, 8) === fingerprint);
    },
  };
}

/**
 * `Authorization: Bearer <token>` → the token, or null. For admin and handler tokens, which are
 * operator-chosen strings (any non-space characters), and for rate-limit keys. The contractor API
 * authenticates with `hono/bearer-auth` instead: its keys are Silta's, always token68 (RFC 6750),
 * the only syntax that middleware accepts.
 */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}
