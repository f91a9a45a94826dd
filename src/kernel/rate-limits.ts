/** A token bucket: `perSecond` tokens flow in, at most `burst` are kept; 0 per second turns the limit off. */
export interface BucketPolicy {
  perSecond: number;
  burst: number;
}

/** One bucket policy per client kind (config: SILTA_RATE_LIMIT_*). */
export interface RateLimitSettings {
  /** Per contractor API key. */
  contractor: BucketPolicy;
  /** Per admin bearer token (admin API) and per console session. */
  admin: BucketPolicy;
  /** Console login attempts per client address (brute force). */
  login: BucketPolicy;
  /** Per target, for webhooks whose signature verified. */
  webhook: BucketPolicy;
}

/** The defaults the configuration starts from (kept here so that config does not import the HTTP layer). */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  contractor: { perSecond: 20, burst: 40 },
  admin: { perSecond: 10, burst: 20 },
  login: { perSecond: 5 / 60, burst: 5 },
  webhook: { perSecond: 50, burst: 200 },
};
