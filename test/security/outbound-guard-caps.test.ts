import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createContractorApiWorkOrderSystem } from "../../adapters/contractor-api/client.ts";
import { createStaraChangeFeed, createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import { STARA_MAX_ANSWER_BYTES } from "../../adapters/stara/http.ts";
import { isSiltaError, type SiltaError } from "../../src/kernel/errors.ts";

/**
 * Hostile answers from targets (issue 7): a body without end is read up to the client's cap and
 * abandoned there (nothing past it is pulled, so memory stays flat), and the failure is classified.
 * The clients keep `globalThis.fetch` per call by default, so msw serves these answers.
 */

const server = setupServer();
let pulled = 0;

beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => {
  server.resetHandlers();
  pulled = 0;
});
afterAll(() => server.close());

const CHUNK = 16 * 1024;
/** What the streams in between (msw's copy, fetch's buffers) pull ahead of the reader: bounded, small. */
const READ_AHEAD = 32 * CHUNK;

/** A JSON-looking body that never ends; counts what the client pulled. */
function endlessBody(): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let first = true;
  return new ReadableStream({
    pull(controller) {
      const text = first ? `{"tyotilaukset":[${" ".repeat(CHUNK - 17)}` : " ".repeat(CHUNK);
      first = false;
      pulled += CHUNK;
      controller.enqueue(encoder.encode(text));
    },
  });
}

async function siltaFailure(promise: Promise<unknown>): Promise<SiltaError> {
  try {
    await promise;
  } catch (error) {
    if (isSiltaError(error)) return error;
    throw error;
  }
  throw new Error("the call succeeded");
}

const STARA = "https://stara.test";

describe("answer size caps", () => {
  it("Stara: an endless list answer is abandoned at the cap and classified as a bad response", async () => {
    server.use(
      http.get(`${STARA}/api/v1/tyotilaukset`, () => new HttpResponse(endlessBody(), { status: 200 })),
      http.get(`${STARA}/api/v1/muutokset`, () => new HttpResponse(endlessBody(), { status: 200 })),
    );
    const stara = createStaraWorkOrderSystem({ targetId: "stara", baseUrl: STARA, token: "t", webhookSecrets: [] });
    const error = await siltaFailure(stara.findByExternalRef("helsinki:1:stara"));
    expect(error.code).toBe("target_bad_response");
    expect(error.retryable).toBe(true);
    expect(pulled).toBeGreaterThan(STARA_MAX_ANSWER_BYTES);
    expect(pulled).toBeLessThan(STARA_MAX_ANSWER_BYTES + READ_AHEAD);
  });

  it("Stara: a declared Content-Length over the cap is refused before the body is read", async () => {
    server.use(
      http.get(
        `${STARA}/api/v1/tyotilaukset`,
        () => new HttpResponse(endlessBody(), { status: 200, headers: { "content-length": String(STARA_MAX_ANSWER_BYTES + 1) } }),
      ),
    );
    const stara = createStaraWorkOrderSystem({ targetId: "stara", baseUrl: STARA, token: "t", webhookSecrets: [] });
    const error = await siltaFailure(stara.findByExternalRef("helsinki:1:stara"));
    expect(error.code).toBe("target_bad_response");
    expect(pulled).toBeLessThan(READ_AHEAD);
  });

  it("Stara: a normal answer under the cap is read as before", async () => {
    server.use(
      http.get(`${STARA}/api/v1/tyotilaukset`, () =>
        HttpResponse.json({ tyotilaukset: [{ tunnus: "ST-1", ulkoinen_viite: "helsinki:1:stara", tila: "UUSI" }] }),
      ),
    );
    const stara = createStaraWorkOrderSystem({ targetId: "stara", baseUrl: STARA, token: "t", webhookSecrets: [] });
    expect(await stara.findByExternalRef("helsinki:1:stara")).toMatchObject({ workOrderId: "ST-1" });
    // The change feed shares the capped client.
    expect(createStaraChangeFeed({ baseUrl: STARA, token: "t" })).toBeDefined();
  });

  it("contractor: an endless push answer is abandoned at 64 KiB", async () => {
    server.use(http.post("https://erp.contractor.test/silta/webhooks", () => new HttpResponse(endlessBody(), { status: 200 })));
    const contractor = createContractorApiWorkOrderSystem({
      targetId: "contractor-test",
      endpointUrl: "https://erp.contractor.test/silta",
      webhookSecrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    });
    const error = await siltaFailure(
      contractor.createWorkOrder(
        { externalRef: "helsinki:1:contractor-test", serviceRequestId: "1", serviceCode: "171" },
        "helsinki:1:contractor-test",
      ),
    );
    expect(error.code).toBe("target_bad_response");
    expect(pulled).toBeLessThan(64 * 1024 + READ_AHEAD);
  });
});
