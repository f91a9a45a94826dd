import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createContractorApiWorkOrderSystem } from "../../adapters/contractor-api/client.ts";
import { SiltaError } from "../../src/kernel/errors.ts";
import { generateWebhookSecret, headerMap, signWebhook, verifyWebhookSignature } from "../../src/lib/webhook-signature.ts";
import type { WorkOrderPayload } from "../../src/ports/work-order-system.ts";

const ENDPOINT = "https://contractor.test/silta";
const SECRET = generateWebhookSecret();
const OTHER_SECRET = generateWebhookSecret();

interface Captured {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body: string;
}

const server = setupServer();
const captured: Captured[] = [];

/** Records each request the contractor endpoint receives, then answers with `answer`. */
function contractor(answer: (request: Captured) => Response | Promise<Response>) {
  const resolver: Parameters<typeof http.post>[1] = async ({ request }) => {
    const entry = { method: request.method, url: request.url, headers: headerMap(request.headers), body: await request.text() };
    captured.push(entry);
    return answer(entry);
  };
  server.use(http.post(`${ENDPOINT}/webhooks`, resolver), http.get(`${ENDPOINT}/work-orders/:id`, resolver));
}

beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => {
  server.resetHandlers();
  captured.length = 0;
});
afterAll(() => server.close());

function system(overrides: Partial<Parameters<typeof createContractorApiWorkOrderSystem>[0]> = {}) {
  return createContractorApiWorkOrderSystem({
    targetId: "contractor-a",
    endpointUrl: ENDPOINT,
    webhookSecrets: [SECRET],
    timeoutMs: 2_000,
    ...overrides,
  });
}

const ORDER: WorkOrderPayload = {
  externalRef: "helsinki:2026-00123:contractor-a",
  serviceRequestId: "2026-00123",
  serviceCode: "2807",
  description: "Deep pothole near the tram stop.",
  lat: 60.1699,
  long: 24.9384,
  reporterEmail: null,
};
const KEY = "helsinki:2026-00123:contractor-a";

async function failure(promise: Promise<unknown>): Promise<SiltaError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SiltaError);
  return error as SiltaError;
}

describe("contractor-api client: createWorkOrder", () => {
  it("pushes a signed work_order.created that verifies and carries only the present fields", async () => {
    contractor(() => HttpResponse.json({ contractorReference: "CA-1042" }));
    const created = await system().createWorkOrder(ORDER, KEY);
    expect(created).toEqual({ workOrderId: "CA-1042", externalRef: ORDER.externalRef, statusCode: "SENT" });

    expect(captured).toHaveLength(1);
    const [request] = captured;
    if (!request) throw new Error("no request captured");
    expect(() => verifyWebhookSignature([SECRET], request.headers, request.body)).not.toThrow();
    expect(() => verifyWebhookSignature([OTHER_SECRET], request.headers, request.body)).toThrow(SiltaError);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request.body)).toEqual({
      type: "work_order.created",
      workOrder: {
        workOrderId: ORDER.externalRef,
        serviceRequestId: "2026-00123",
        serviceCode: "2807",
        description: "Deep pothole near the tram stop.",
        lat: 60.1699,
        long: 24.9384,
        reporterEmail: null,
      },
    });
  });

  it("rejects a tampered body: the signature covers the exact bytes sent", async () => {
    contractor(() => HttpResponse.json({}));
    await system().createWorkOrder(ORDER, KEY);
    const request = captured[0];
    if (!request) throw new Error("no request captured");
    expect(() => verifyWebhookSignature([SECRET], request.headers, request.body.replace("2807", "2808"))).toThrow(SiltaError);
  });

  it("falls back to the external reference when the contractor gives no reference (empty 2xx)", async () => {
    contractor(() => new HttpResponse(null, { status: 202 }));
    const created = await system().createWorkOrder(ORDER, KEY);
    expect(created.workOrderId).toBe(ORDER.externalRef);
  });

  it("derives the webhook-id from the idempotency key: same key → same id, other key → other id", async () => {
    contractor(() => HttpResponse.json({}));
    await system().createWorkOrder(ORDER, KEY);
    await system({ webhookSecrets: [OTHER_SECRET] }).createWorkOrder(ORDER, KEY);
    await system().createWorkOrder(
      { ...ORDER, externalRef: "helsinki:2026-00124:contractor-a" },
      "helsinki:2026-00124:contractor-a",
    );
    const ids = captured.map((request) => request.headers["webhook-id"]);
    expect(ids[0]).toMatch(/^msg_[0-9a-f]{40}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it("signs with every secret during a rotation: two secrets → two signatures, each verifying alone", async () => {
    contractor(() => HttpResponse.json({}));
    await system({ webhookSecrets: [SECRET, OTHER_SECRET] }).createWorkOrder(ORDER, KEY);
    const request = captured[0];
    if (!request) throw new Error("no request captured");
    const signatures = (request.headers["webhook-signature"] ?? "").split(" ");
    expect(signatures).toHaveLength(2);
    for (const signature of signatures) expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(() => verifyWebhookSignature([SECRET], request.headers, request.body)).not.toThrow();
    expect(() => verifyWebhookSignature([OTHER_SECRET], request.headers, request.body)).not.toThrow();
  });
});

describe("contractor-api client: error classification", () => {
  it.each([
    {
      name: "503 with Retry-After",
      answer: () => HttpResponse.json({}, { status: 503, headers: { "retry-after": "12" } }),
      code: "target_server_error",
      errorClass: "transient",
      retryable: true,
      retryAfterMs: 12_000,
    },
    {
      name: "429 with Retry-After",
      answer: () => HttpResponse.json({}, { status: 429, headers: { "retry-after": "7" } }),
      code: "target_rate_limited",
      errorClass: "rate_limited",
      retryable: true,
      retryAfterMs: 7_000,
    },
    {
      name: "400",
      answer: () => HttpResponse.json({ error: { code: "invalid_field" } }, { status: 400 }),
      code: "target_rejected",
      errorClass: "permanent",
      retryable: false,
      retryAfterMs: undefined,
    },
    {
      name: "401",
      answer: () => HttpResponse.json({}, { status: 401 }),
      code: "target_auth_failed",
      errorClass: "auth",
      retryable: false,
      retryAfterMs: undefined,
    },
    {
      name: "302 (redirects are never followed)",
      answer: () => new HttpResponse(null, { status: 302, headers: { location: "http://127.0.0.1/steal" } }),
      code: "target_rejected",
      errorClass: "permanent",
      retryable: false,
      retryAfterMs: undefined,
    },
    {
      name: "a 2xx that is not JSON",
      answer: () => new HttpResponse("<html>ok</html>", { status: 200, headers: { "content-type": "text/html" } }),
      code: "target_bad_response",
      errorClass: "transient",
      retryable: true,
      retryAfterMs: undefined,
    },
    {
      name: "a 2xx with the wrong shape",
      answer: () => HttpResponse.json({ contractorReference: { nested: true } }),
      code: "target_bad_response",
      errorClass: "transient",
      retryable: true,
      retryAfterMs: undefined,
    },
    {
      name: "a refused connection",
      answer: () => HttpResponse.error(),
      code: "target_unavailable",
      errorClass: "transient",
      retryable: true,
      retryAfterMs: undefined,
    },
  ])("classifies $name", async ({ answer, code, errorClass, retryable, retryAfterMs }) => {
    contractor(answer);
    const error = await failure(system().createWorkOrder(ORDER, KEY));
    expect({
      code: error.code,
      errorClass: error.errorClass,
      retryable: error.retryable,
      retryAfterMs: error.retryAfterMs,
    }).toEqual({
      code,
      errorClass,
      retryable,
      retryAfterMs,
    });
    expect(captured).toHaveLength(1);
  });

  it("classifies a timeout after sending as indeterminate (look up before creating again)", async () => {
    contractor(async () => {
      await delay(1_000);
      return HttpResponse.json({});
    });
    const started = Date.now();
    const error = await failure(system({ timeoutMs: 50 }).createWorkOrder(ORDER, KEY));
    expect(Date.now() - started).toBeLessThan(900);
    expect(error.code).toBe("target_timeout");
    expect(error.errorClass).toBe("indeterminate");
    expect(error.retryable).toBe(true);
  });

  it("keeps a rejection's short code but never echoes the contractor's free text", async () => {
    contractor(() =>
      HttpResponse.json({ error: { code: "invalid_field", message: "reporter matti@example.fi is invalid" } }, { status: 422 }),
    );
    const error = await failure(system().createWorkOrder(ORDER, KEY));
    expect(error.message).toContain("invalid_field");
    expect(error.message).not.toContain("matti");
    expect(error.httpStatus).toBe(422);
  });
});

describe("contractor-api client: findByExternalRef", () => {
  it("looks the order up with a signed GET and returns the contractor's reference and status", async () => {
    contractor(() => HttpResponse.json({ workOrderId: ORDER.externalRef, contractorReference: 1042, status: "IN_PROGRESS" }));
    const found = await system({ newMessageId: () => "msg_lookup_1" }).findByExternalRef(ORDER.externalRef);
    expect(found).toEqual({ workOrderId: "1042", externalRef: ORDER.externalRef, statusCode: "IN_PROGRESS" });
    const request = captured[0];
    if (!request) throw new Error("no request captured");
    expect(request.method).toBe("GET");
    expect(new URL(request.url).pathname).toBe(`/silta/work-orders/${encodeURIComponent(ORDER.externalRef)}`);
    expect(request.headers["webhook-id"]).toBe("msg_lookup_1");
    expect(() => verifyWebhookSignature([SECRET], request.headers, "")).not.toThrow();
  });

  it("answers null on 404", async () => {
    contractor(() => HttpResponse.json({ error: "not_found" }, { status: 404 }));
    await expect(system().findByExternalRef(ORDER.externalRef)).resolves.toBeNull();
  });

  it("refuses an answer about another work order", async () => {
    contractor(() =>
      HttpResponse.json({ workOrderId: "helsinki:other:contractor-a", contractorReference: "CA-1", status: "SENT" }),
    );
    const error = await failure(system().findByExternalRef(ORDER.externalRef));
    expect(error.code).toBe("target_bad_response");
  });

  it("classifies errors like the push does", async () => {
    contractor(() => HttpResponse.json({}, { status: 500 }));
    const error = await failure(system().findByExternalRef(ORDER.externalRef));
    expect(error.code).toBe("target_server_error");
  });
});

describe("contractor-api client: cancelWorkOrder", () => {
  it("pushes a signed work_order.cancelled with a stable id of its own", async () => {
    contractor(() => HttpResponse.json({}));
    const cancel = () =>
      system().cancelWorkOrder({ workOrderId: "CA-1042", externalRef: ORDER.externalRef }, "case closed by the city");
    await cancel();
    await cancel();
    await system().createWorkOrder(ORDER, KEY);
    const [first, second, create] = captured;
    if (!first || !second || !create) throw new Error("requests missing");
    expect(() => verifyWebhookSignature([SECRET], first.headers, first.body)).not.toThrow();
    expect(JSON.parse(first.body)).toEqual({
      type: "work_order.cancelled",
      workOrder: { workOrderId: ORDER.externalRef, contractorReference: "CA-1042" },
      reason: "case closed by the city",
    });
    expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(create.headers["webhook-id"]).not.toBe(first.headers["webhook-id"]);
  });

  it("omits contractorReference when the contractor never gave one", async () => {
    contractor(() => HttpResponse.json({}));
    await system().cancelWorkOrder({ workOrderId: ORDER.externalRef, externalRef: ORDER.externalRef }, "withdrawn");
    expect(JSON.parse(captured[0]?.body ?? "{}").workOrder).toEqual({ workOrderId: ORDER.externalRef });
  });

  it("surfaces failures", async () => {
    contractor(() => HttpResponse.json({}, { status: 503 }));
    const error = await failure(system().cancelWorkOrder({ workOrderId: null, externalRef: ORDER.externalRef }, "withdrawn"));
    expect(error.retryable).toBe(true);
  });
});

describe("contractor-api client: verifyWebhook", () => {
  const INBOUND = generateWebhookSecret();
  const batch = {
    events: [
      { eventId: "e1", workOrderId: ORDER.externalRef, status: "RECEIVED", occurredAt: "2026-11-20T10:00:00+02:00" },
      {
        eventId: "e2",
        workOrderId: ORDER.externalRef,
        status: "IN_PROGRESS",
        occurredAt: "2026-11-20T10:05:00Z",
        note: "on site",
      },
    ],
  };

  function signed(body: string, secret = INBOUND, at = new Date()) {
    return signWebhook([secret], body, "msg_evt_1", at);
  }

  it("turns a signed event batch into FieldEvents with contractor-scoped ids", async () => {
    const body = JSON.stringify(batch);
    const events = await system({ inboundSecrets: [INBOUND] }).verifyWebhook(signed(body), body);
    expect(events).toEqual([
      {
        eventId: "contractor-a:e1",
        externalRef: ORDER.externalRef,
        workOrderId: ORDER.externalRef,
        statusCode: "RECEIVED",
        occurredAt: "2026-11-20T10:00:00+02:00",
        note: null,
      },
      {
        eventId: "contractor-a:e2",
        externalRef: ORDER.externalRef,
        workOrderId: ORDER.externalRef,
        statusCode: "IN_PROGRESS",
        occurredAt: "2026-11-20T10:05:00Z",
        note: "on site",
      },
    ]);
  });

  it("rejects a wrong secret, a tampered body and a stale timestamp as webhook_signature_invalid", async () => {
    const body = JSON.stringify(batch);
    const sut = system({ inboundSecrets: [INBOUND] });
    const stale = new Date(Date.now() - 10 * 60_000);
    for (const [headers, raw] of [
      [signed(body, SECRET), body],
      [signed(body), body.replace("RECEIVED", "COMPLETED")],
      [signed(body, INBOUND, stale), body],
      [{}, body],
    ] as const) {
      const error = await failure(sut.verifyWebhook(headers, raw));
      expect(error.code).toBe("webhook_signature_invalid");
    }
  });

  it("uses the outbound secrets when no inbound secret is configured", async () => {
    const body = JSON.stringify(batch);
    await expect(system().verifyWebhook(signed(body, SECRET), body)).resolves.toHaveLength(2);
  });

  it.each([
    ["not JSON", "{oops"],
    ["no events", JSON.stringify({ events: [] })],
    ["an occurredAt without offset", JSON.stringify({ events: [{ ...batch.events[0], occurredAt: "2026-11-20T10:00:00" }] })],
  ])("rejects a signed body with %s as webhook_malformed", async (_name, body) => {
    const error = await failure(system({ inboundSecrets: [INBOUND] }).verifyWebhook(signed(body), body));
    expect(error.code).toBe("webhook_malformed");
  });
});
