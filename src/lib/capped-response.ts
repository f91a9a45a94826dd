import { SiltaError } from "../kernel/errors.ts";

/** Statuses whose responses carry no body (a Response with one cannot be constructed). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * Reads a response's body as a stream, at most `maxBytes` of it, and returns an equivalent
 * Response holding the bytes read. Past the cap the stream is cancelled (the connection is
 * released, memory stays flat) and the answer is a `target_bad_response` (transient: a healthy
 * answer next time is accepted). A declared Content-Length over the cap is refused before reading.
 */
export async function readCappedResponse(response: Response, maxBytes: number, what: string): Promise<Response> {
  const init = { status: response.status, statusText: response.statusText, headers: response.headers };
  if (NULL_BODY_STATUSES.has(response.status) || response.body === null) {
    await response.body?.cancel().catch(() => {});
    return new Response(null, init);
  }
  const oversized = () =>
    new SiltaError("target_bad_response", `${what} answered HTTP ${response.status} with a body over ${maxBytes} bytes`, {
      httpStatus: response.status,
    });
  const declared = Number(response.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel().catch(() => {});
    throw oversized();
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw oversized();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Response(body, init);
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
