import { SiltaError } from "../kernel/errors.ts";

/** Statuses whose responses carry no body (a Response with one cannot be constructed). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * An answer as any HTTP client hands it over: its head, and its body as a chunk source. `read`
 * resolves null at the end; `cancel` abandons the rest and releases the connection.
 */
export interface AnswerParts {
  status: number;
  statusText?: string;
  headers: Headers;
  body: { read(): Promise<Uint8Array | null>; cancel(): Promise<void> } | null;
}

/**
 * Reads an answer's body, at most `maxBytes` of it, into a Response holding the bytes read. Past
 * the cap the body is cancelled (the connection is released, memory stays flat) and the answer
 * is a `target_bad_response` (transient: a healthy answer next time is accepted). A declared
 * Content-Length over the cap is refused before reading.
 */
export async function cappedAnswer(answer: AnswerParts, maxBytes: number, what: string): Promise<Response> {
  const { status, body } = answer;
  const init = { status, statusText: answer.statusText ?? "", headers: answer.headers };
  if (NULL_BODY_STATUSES.has(status) || body === null) {
    await body?.cancel().catch(() => {});
    return new Response(null, init);
  }
  const oversized = () =>
    new SiltaError("target_bad_response", `${what} answered HTTP ${status} with a body over ${maxBytes} bytes`, {
      httpStatus: status,
    });
  const declared = Number(answer.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await body.cancel().catch(() => {});
    throw oversized();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let chunk = await body.read(); chunk !== null; chunk = await body.read()) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await body.cancel().catch(() => {});
      throw oversized();
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Response(bytes, init);
}

/** `cappedAnswer` for a fetch Response: its body read as a stream. */
export async function readCappedResponse(response: Response, maxBytes: number, what: string): Promise<Response> {
  const reader = response.body?.getReader() ?? null;
  return cappedAnswer(
    {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
      body: reader && {
        read: async () => {
          const { done, value } = await reader.read();
          return done ? null : value;
        },
        cancel: () => reader.cancel(),
      },
    },
    maxBytes,
    what,
  );
}

/**
 * A fetch whose answers are read through `readCappedResponse`. `base` is looked up per call
 * (default `globalThis.fetch`, so that msw and other patchers installed later still see it).
 */
export function cappedFetch(
  maxBytes: number,
  what: string,
  base: () => (request: Request) => Promise<Response> = () => (request) => globalThis.fetch(request),
): (request: Request) => Promise<Response> {
  return async (request) => readCappedResponse(await base()(request), maxBytes, what);
}
