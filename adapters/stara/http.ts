import type { Client } from "openapi-fetch";
import createClient from "openapi-fetch";
import { SiltaError } from "../../src/kernel/errors.ts";
import { cappedFetch } from "../../src/lib/capped-response.ts";
import { failureFromFetchError, failureFromResponse } from "../../src/lib/http-failure.ts";
import type { paths } from "./openapi.d.ts";
import { staraErrorCode } from "./wire.ts";

/** How long one call to Stara may take, end to end, unless configured. */
export const STARA_DEFAULT_TIMEOUT_MS = 10_000;
/**
 * The largest answer read from Stara: a list page of 500 work orders is far below it. Past it the
 * call is aborted as a bad response, so that a runaway body cannot fill memory.
 */
export const STARA_MAX_ANSWER_BYTES = 2 * 1024 * 1024;

/** Connection settings shared by the work-order client and the change feed. */
export interface StaraConnectionOptions {
  baseUrl: string;
  /** Bearer token for Stara's API. */
  token: string;
  /** Total time allowed per call, in milliseconds (default 10 s). */
  timeoutMs?: number;
  /**
   * How requests leave (the Node runtime passes its guarded fetch: S5). Default: `globalThis.fetch`,
   * looked up on every call.
   */
  fetch?: (request: Request) => Promise<Response>;
}

export type StaraApi = Client<paths>;

/**
 * The typed openapi-fetch client for Stara. `fetch` is looked up on every call (so msw and other
 * interceptors installed later still see it) and redirects are not followed: a redirect from a
 * work-order API is a misconfiguration, and following it could send the token elsewhere.
 * Answers are read up to `STARA_MAX_ANSWER_BYTES`.
 */
export function createStaraApi(options: StaraConnectionOptions): StaraApi {
  const send = options.fetch;
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    fetch: cappedFetch(STARA_MAX_ANSWER_BYTES, "Stara", () => send ?? ((request) => globalThis.fetch(request))),
    headers: { Authorization: `Bearer ${options.token}`, Accept: "application/json" },
    redirect: "manual",
  });
}

interface ApiResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * Runs one call with its timeout and turns everything that went wrong before an HTTP answer was
 * read into a classified SiltaError: our timeout is indeterminate (the call may have taken
 * effect), a refused connection is transient, and a 2xx whose body is not JSON is a bad response.
 */
export async function sendToStara<T extends ApiResult>(
  what: string,
  timeoutMs: number,
  send: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  try {
    return await send(AbortSignal.timeout(timeoutMs));
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new SiltaError("target_bad_response", `${what} answered with a body that is not JSON`, { cause: error });
    }
    throw failureFromFetchError(error, what, "target");
  }
}

/**
 * The SiltaError for a non-2xx answer. Only Stara's stable error code goes into the message:
 * the human-readable `viesti` may echo the fields we sent, which can hold personal data.
 */
export function staraFailure(what: string, result: ApiResult): SiltaError {
  const code = staraErrorCode(result.error);
  const failure = failureFromResponse(result.response.status, result.response.headers, what, code ?? "", "target");
  if (code !== null) failure.context.staraCode = code;
  return failure;
}
