import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { pipeline, type Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { Agent, buildConnector, type Dispatcher, request as undiciRequest } from "undici";
import { SiltaError } from "../kernel/errors.ts";
import { cappedAnswer } from "../lib/capped-response.ts";
import { failureFromResponse } from "../lib/http-failure.ts";
import { assertOutboundUrl, type OutboundPolicy, outboundRefused, refusedAddressRange } from "../lib/outbound-guard.ts";

/** Resolves a host name to every address it has (`dns.lookup` with `all: true` by default). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** Where a connection is about to go; a test hook may record it, and throwing from it stops the connection. */
export interface ConnectAttempt {
  hostname: string;
  address: string;
  port: number;
}

export interface GuardedFetchOptions {
  policy: OutboundPolicy;
  /** Names the destination in errors, e.g. `target stara`. */
  what: string;
  /** Total time of one call, answer body included. */
  timeoutMs: number;
  /** The largest answer body read; past it the call is aborted. */
  maxResponseBytes: number;
  resolver?: Resolver;
  /** Called right before every connection, with the checked address it will use. */
  onConnect?: (attempt: ConnectAttempt) => void;
}

export interface GuardedFetch {
  (request: Request): Promise<Response>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true });

/**
 * A fetch for the Node runtime that keeps S5 on the wire, not only on the URL:
 *
 * - the URL is checked against the policy first (scheme, host, port, no credentials, address hosts);
 * - the connection is made by a connector that resolves the name itself, refuses it when any
 *   address is refused by the policy, and connects to the checked address only (pinned: a DNS
 *   answer that changes between check and connect cannot redirect it; TLS still verifies the name);
 * - redirects are never followed: a 3xx is an error (`target_rejected`, as the clients classify it);
 * - the whole call, body included, is bounded by `timeoutMs`, and the body is read up to
 *   `maxResponseBytes`, then aborted (`target_bad_response`).
 *
 * A refusal is `outbound_refused` (permanent) and no connection is attempted.
 */
export function createGuardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const { policy, what } = options;
  const resolver = options.resolver ?? systemResolver;
  const connectDirect = buildConnector({ timeout: options.timeoutMs });

  /** The one address this connection may use, after every address of the name passed the policy. */
  async function pinnedAddress(hostname: string): Promise<string> {
    const host = hostname.replace(/^\[(.*)\]$/, "$1");
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolver(host);
    if (addresses.length === 0) throw new SiltaError("target_unavailable", `${what}: the host name has no address`);
    for (const { address } of addresses) {
      const refused = refusedAddressRange(address);
      if (refused && !policy.allowPrivate) throw outboundRefused(what, `the host resolves to a ${refused} address`);
      if (refused === "not an address") throw outboundRefused(what, "the resolver answered something that is not an address");
    }
    return (addresses[0] as { address: string }).address;
  }

  const agent = new Agent({
    connect(connectOptions, callback) {
      pinnedAddress(connectOptions.hostname).then(
        (address) => {
          const port = Number(connectOptions.port) || (connectOptions.protocol === "https:" ? 443 : 80);
          try {
            options.onConnect?.({ hostname: connectOptions.hostname, address, port });
          } catch (error) {
            callback(error instanceof Error ? error : new Error(String(error)), null);
            return;
          }
          const servername = isIP(connectOptions.hostname.replace(/^\[(.*)\]$/, "$1")) ? undefined : connectOptions.hostname;
          connectDirect({ ...connectOptions, hostname: address, ...(servername ? { servername } : {}) }, callback);
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
      );
    },
  });

  const guarded = async (request: Request): Promise<Response> => {
    assertOutboundUrl(request.url, policy, what);
    const signal = AbortSignal.any([request.signal, AbortSignal.timeout(options.timeoutMs)]);
    try {
      const hasBody = request.body !== null && request.method !== "GET" && request.method !== "HEAD";
      // undici's dispatcher API rather than its fetch: the same pool and pinned connector, without
      // fetch's second Request, web streams and redirect handling. A call costs about half the
      // CPU (bench/http-layer.ts). It never follows redirects.
      const answer = await undiciRequest(request.url, {
        method: request.method as Dispatcher.HttpMethod,
        headers: Object.fromEntries(request.headers),
        body: hasBody ? new Uint8Array(await request.arrayBuffer()) : null,
        signal,
        dispatcher: agent,
      });
      if (answer.statusCode >= 300 && answer.statusCode < 400) {
        discard(answer.body);
        // The Location is not followed and not echoed: it is the attacker's text.
        throw failureFromResponse(answer.statusCode, new Headers(), `${what} redirected`);
      }
      const chunks = decoded(answer.body, answer.headers["content-encoding"], what)[Symbol.asyncIterator]();
      return await cappedAnswer(
        {
          status: answer.statusCode,
          headers: headersOf(answer.headers),
          body: {
            read: async () => {
              const next = await chunks.next();
              return next.done ? null : (next.value as Uint8Array);
            },
            cancel: async () => {
              await chunks.return?.();
            },
          },
        },
        options.maxResponseBytes,
        what,
      );
    } catch (error) {
      // As fetch does: an abort rejects with the signal's reason (a TimeoutError for a timeout).
      throw siltaCause(error) ?? (signal.aborted ? signal.reason : error);
    }
  };
  return Object.assign(guarded, { close: () => agent.close() });
}

/** Decoders for the content codings fetch reads; the cap then counts decoded bytes (no zip bombs). */
const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  "x-gzip": createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/**
 * The body as sent, decoded. Silta asks for no coding (no Accept-Encoding), but a server may
 * compress anyway, and fetch, which Silta used before, decoded it: so does this.
 */
function decoded(body: Dispatcher.ResponseData["body"], coding: string | string[] | undefined, what: string): Readable {
  const name = (Array.isArray(coding) ? coding.join(",") : (coding ?? "")).trim().toLowerCase();
  if (name === "" || name === "identity") return body;
  const decoder = DECODERS[name];
  if (!decoder) {
    discard(body);
    throw new SiltaError("target_bad_response", `${what} answered in a content coding Silta cannot read`);
  }
  const stream = decoder();
  // An error on either side ends the decoded stream with it, where the reader sees it.
  return pipeline(body, stream, () => {}) as unknown as Readable;
}

/** Abandons an answer's body unread: the connection is closed, not drained (it may be huge). */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => {}); // destroying an unread body reports an abort to its listeners
  body.destroy();
}

/** A Headers from undici's header object (repeated fields come as arrays). */
function headersOf(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

/** The SiltaError behind an error: undici may wrap a connector's error as the cause of its own. */
function siltaCause(error: unknown): SiltaError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof SiltaError) return current;
    current = current instanceof Error ? current.cause : null;
  }
  return null;
}

/** Answers from targets are capped by their clients; this is the outer bound for any of them. */
const TARGET_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * The Node runtime's way out for targets (`createTargetSystems`' factory): one guarded fetch,
 * with its own connection pool, per target.
 */
export function guardedFetchFactory(
  hooks: { resolver?: Resolver; onConnect?: (attempt: ConnectAttempt) => void } = {},
): (targetId: string, policy: OutboundPolicy, timeoutMs: number) => GuardedFetch {
  return (targetId, policy, timeoutMs) =>
    createGuardedFetch({ policy, what: `target ${targetId}`, timeoutMs, maxResponseBytes: TARGET_MAX_RESPONSE_BYTES, ...hooks });
}
