import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { errorResponse } from "../contractor-api/api-errors.ts";

/**
 * Inbound limits per surface (S4), in one place. Bodies are read through `limitedBody`, which
 * refuses them before they reach a parser; the Node server adds header size and slow-request
 * limits (`node-serve.ts`). README "Security limits" lists each one.
 */
export const INBOUND_LIMITS = {
  /** `/webhooks/:target`: Stara's batches hold at most 100 events. */
  webhookBodyBytes: 256 * 1024,
  /** `/intake/open311`: pushed cases, up to a GeoReport list answer's worth (200 cases). */
  pushBodyBytes: 1024 * 1024,
  /** `/api/contractor/v1/…`: one status event per request. */
  contractorBodyBytes: 256 * 1024,
  /** `/api/admin/v1/…`: small JSON actions (bulk replay lists at most 1,000 ids). */
  adminBodyBytes: 64 * 1024,
  /** `/admin` console forms. */
  consoleFormBytes: 32 * 1024,
  /** JSON nested deeper than this is refused before it is parsed. */
  jsonMaxDepth: 32,
  /** A body must have arrived completely this long after its handler started reading it. */
  bodyReadTimeoutMs: 10_000,
  /** Path ids (case ids, work-order ids) longer than this are not ids. */
  pathIdChars: 200,
} as const;

export interface LimitedBodyOptions {
  /** Largest body accepted, in bytes; larger → 413. */
  maxBytes: number;
  /** Deepest JSON nesting accepted; deeper → 400. Absent: the body is not JSON (forms) and is not scanned. */
  maxJsonDepth?: number;
  /** The whole body must arrive within this; slower → 408. */
  readTimeoutMs?: number;
  /** Names the body in error messages ("body", "form"). */
  noun?: string;
  /**
   * Lets NUL characters (and unpaired surrogates) through. Default: a body holding one is refused
   * (400), since nothing can store it. Only for a reader that cleans them itself (push intake:
   * parse.ts, as for the poll).
   */
  allowNul?: boolean;
}

/**
 * Reads the request body under a byte cap and a deadline, before anything parses it. The cap is
 * `hono/body-limit`'s: a declared `Content-Length` above it is refused unread (the runtime holds
 * a body to its declared length), and a chunked body is counted as it streams and refused at the
 * first byte over it. The deadline is ours: the body, however it is sent, must have arrived
 * completely `readTimeoutMs` after this middleware started; a stalled one is cancelled. JSON
 * bodies are then scanned for their nesting depth (a counter over the raw bytes, outside
 * strings), so `JSON.parse` never sees a deeply nested document. A body holding text PostgreSQL
 * cannot store (a NUL character; in JSON, an unpaired surrogate: `bodyHasNul`) is refused (400),
 * unless `allowNul`. The buffered body replaces the request's, so later readers get it.
 */
export function limitedBody(options: LimitedBodyOptions): MiddlewareHandler {
  const noun = options.noun ?? "body";
  const readTimeoutMs = options.readTimeoutMs ?? INBOUND_LIMITS.bodyReadTimeoutMs;
  const sizeLimit = bodyLimit({ maxSize: options.maxBytes, onError: (c) => tooLarge(c, noun, options.maxBytes) });
  return async (c, next) => {
    const source = c.req.raw.body;
    if (!source) return next();
    const body = withDeadline(source, readTimeoutMs);
    c.req.raw = new Request(c.req.raw, { body: body.stream, duplex: "half" } as RequestInit);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      // Within the cap, bodyLimit "calls next" (here: nothing) after buffering a chunked body, or
      // at once for a declared length; either way the body is then read whole under the deadline.
      const refused = await sizeLimit(c, async () => {});
      if (refused) return refused;
      bytes = new Uint8Array(await c.req.raw.arrayBuffer());
    } catch {
      if (body.timedOut()) return errorResponse(c, "request_timeout", `the ${noun} did not arrive within ${readTimeoutMs} ms`);
      return errorResponse(c, "invalid_request", `the ${noun} could not be read`);
    } finally {
      body.stop();
    }
    if (options.maxJsonDepth !== undefined && jsonNestingExceeds(bytes, options.maxJsonDepth)) {
      return errorResponse(c, "invalid_request", `the JSON ${noun} is nested deeper than ${options.maxJsonDepth} levels`);
    }
    const type = c.req.header("content-type") ?? "";
    const json = options.maxJsonDepth !== undefined || /^application\/([\w.+-]*\+)?json\b/i.test(type);
    const form = /^application\/x-www-form-urlencoded\b/i.test(type);
    if (!options.allowNul && bodyHasNul(bytes, { json, form }))
      return errorResponse(c, "invalid_request", `the ${noun} contains a NUL character or an unpaired surrogate`);
    c.req.raw = new Request(c.req.raw, { body: bytes });
    return next();
  };
}

function tooLarge(c: Context, noun: string, maxBytes: number): Response {
  return errorResponse(c, "payload_too_large", `the ${noun} is larger than ${maxBytes} bytes`);
}

/**
 * `source` as a stream that fails once `timeoutMs` have passed before it ended. `stop()` ends the
 * clock and, if the body was started but not finished (refused, failed or late), cancels the
 * source, so nothing keeps pulling it. A body refused unread is left alone.
 */
function withDeadline(source: ReadableStream<Uint8Array>, timeoutMs: number) {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let done = false;
  let late = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => {
      late = true;
      resolve("late");
    }, timeoutMs);
  });
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= source.getReader();
        const step = await Promise.race([reader.read(), deadline]);
        if (step === "late") return controller.error(new Error("the body did not arrive in time"));
        if (step.done) {
          done = true;
          return controller.close();
        }
        controller.enqueue(step.value);
      },
      cancel: (reason) => reader?.cancel(reason),
    },
    // Pulls only when read: nothing is taken from the source before someone asks for it.
    { highWaterMark: 0 },
  );
  return {
    stream,
    timedOut: () => late,
    stop() {
      clearTimeout(timer);
      if (reader && !done) reader.cancel().catch(() => {});
    },
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text (as UTF-8 bytes or a string) nests objects and arrays deeper than `maxDepth`.
 * Counts brackets outside strings, honouring backslash escapes; it does not validate the JSON
 * (the parser does that afterwards, on a document known to be shallow). UTF-8 continuation
 * bytes never equal these ASCII codes, so bytes and characters scan alike.
 */
export function jsonNestingExceeds(text: Uint8Array | string, maxDepth: number): boolean {
  const at = typeof text === "string" ? (i: number) => text.charCodeAt(i) : (i: number) => text[i] as number;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = at(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
  return false;
}

const LOWER_U = 0x75;
const ZERO = 0x30;
const PERCENT = 0x25;

/** The four hex digits after `\u` at `at` (the backslash), or -1. */
function unicodeEscape(bytes: Uint8Array, at: number): number {
  if (bytes[at] !== BACKSLASH || bytes[at + 1] !== LOWER_U || at + 6 > bytes.length) return -1;
  const hex = String.fromCharCode(...bytes.subarray(at + 2, at + 6));
  return /^[0-9a-fA-F]{4}$/.test(hex) ? Number.parseInt(hex, 16) : -1;
}

/**
 * Whether a body holds text PostgreSQL cannot store: a NUL character (U+0000) as a 0x00 byte
 * anywhere; in JSON (`json`), a `\u0000` escape or an unpaired surrogate escape (`\ud800`
 * without its low half) inside a string (`\\u0000`, an escaped backslash, is text and passes);
 * in a URL-encoded form (`form`), `%00`. (Raw UTF-8 cannot carry a surrogate; forms decode a
 * broken one to U+FFFD.)
 */
export function bodyHasNul(bytes: Uint8Array, kinds: { json?: boolean; form?: boolean } = {}): boolean {
  if (bytes.includes(0)) return true;
  if (!kinds.json && !kinds.form) return false;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes[i] as number;
    if (kinds.form && code === PERCENT && bytes[i + 1] === ZERO && bytes[i + 2] === ZERO) return true;
    if (!kinds.json) continue;
    if (inString) {
      if (code === BACKSLASH) {
        const unit = unicodeEscape(bytes, i);
        if (unit === 0 || (unit >= 0xdc00 && unit <= 0xdfff)) return true;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = unicodeEscape(bytes, i + 6);
          if (low < 0xdc00 || low > 0xdfff) return true;
          i += 6;
        }
        i++;
      } else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
  }
  return false;
}

/** Refuses path parameters longer than an id can be (400), before any lookup. */
export function pathIdLimit(...names: string[]): MiddlewareHandler {
  return async (c, next) => {
    for (const name of names) {
      const value = c.req.param(name);
      if (value !== undefined && value.length > INBOUND_LIMITS.pathIdChars)
        return errorResponse(c, "invalid_request", `${name} is longer than ${INBOUND_LIMITS.pathIdChars} characters`);
    }
    return next();
  };
}
