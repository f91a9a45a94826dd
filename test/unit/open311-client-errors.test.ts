import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createOpen311CaseSystem } from "../../adapters/open311/client.ts";
import type { CaseListReject } from "../../adapters/open311/parse.ts";
import { isSiltaError, type SiltaError } from "../../src/kernel/errors.ts";

/** The Open311 client's HTTP handling, with the network mocked by msw. */

const BASE = "http://open311.test/palautews/rest/v1";
const LIST = `${BASE}/requests.json`;
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const FROM = new Date("2026-01-01T00:00:00Z");
const TO = new Date("2026-01-02T00:00:00Z");
const ROW = {
  service_request_id: "aaaaaaaaaaaaaaaaaaaa",
  service_code: "171",
  status: "open",
  updated_datetime: "2026-01-01T10:00:00+02:00",
};

function client(extra: { apiKey?: string; locale?: string; onRejectedRecord?: (reject: CaseListReject) => void } = {}) {
  return createOpen311CaseSystem({ baseUrl: BASE, timeoutMs: 2000, ...extra });
}

async function rejectionOf(promise: Promise<unknown>): Promise<SiltaError> {
  try {
    await promise;
  } catch (error) {
    if (isSiltaError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("Open311 client error classification (msw)", () => {
  const answers: Array<[string, () => Response, Record<string, unknown>]> = [
    [
      "503 with Retry-After",
      () => HttpResponse.json([{ code: 503, description: "Huoltokatko" }], { status: 503, headers: { "Retry-After": "30" } }),
      { code: "case_system_unavailable", retryable: true, httpStatus: 503, retryAfterMs: 30_000 },
    ],
    [
      "500",
      () => HttpResponse.text("boom", { status: 500 }),
      { code: "case_system_unavailable", errorClass: "transient", retryable: true },
    ],
    [
      "429",
      () => HttpResponse.json([{ code: 429, description: "slow down" }], { status: 429 }),
      { code: "case_system_unavailable", retryable: true, httpStatus: 429 },
    ],
    [
      "403",
      () => HttpResponse.json([{ code: 403, description: "Missing or invalid API key." }], { status: 403 }),
      { code: "case_system_auth_failed", errorClass: "auth", retryable: false },
    ],
    [
      "401",
      () => HttpResponse.json({ detail: "Authentication credentials were not provided." }, { status: 401 }),
      { code: "case_system_auth_failed", errorClass: "auth" },
    ],
    [
      "400 with a GeoReport error body",
      () => HttpResponse.json([{ code: 400, description: "updated_after is not valid" }], { status: 400 }),
      { code: "case_system_rejected", errorClass: "permanent", retryable: false, httpStatus: 400 },
    ],
    ["a network error", () => HttpResponse.error(), { code: "case_system_unavailable", retryable: true }],
    [
      "200 with an HTML page",
      () => HttpResponse.html("<html><body>Huoltokatko</body></html>"),
      { code: "case_system_unavailable", retryable: true },
    ],
    [
      "200 with an object instead of a list",
      () => HttpResponse.json({ requests: [] }),
      { code: "case_system_unavailable", retryable: true },
    ],
  ];

  it.each(answers)("classifies %s", async (_label, answer, expected) => {
    server.use(http.get(LIST, () => answer()));
    const error = await rejectionOf(client().listChangedCases(FROM, TO));
    expect(error).toMatchObject(expected);
  });

  it("puts the GeoReport error description into the message", async () => {
    server.use(
      http.get(LIST, () => HttpResponse.json([{ code: 400, description: "updated_after is not valid" }], { status: 400 })),
    );
    const error = await rejectionOf(client().listChangedCases(FROM, TO));
    expect(error.message).toContain("updated_after is not valid");
  });

  it("asks with extensions, locale and second-precision bounds, one second before the window", async () => {
    const seen: URL[] = [];
    server.use(
      http.get(LIST, ({ request }) => {
        seen.push(new URL(request.url));
        return HttpResponse.json([ROW]);
      }),
    );
    const cases = await client({ locale: "fi" }).listChangedCases(new Date("2026-01-01T00:00:00.250Z"), TO);
    expect(cases.map((record) => record.serviceRequestId)).toEqual([ROW.service_request_id]);
    expect(seen).toHaveLength(1);
    const query = seen[0]?.searchParams;
    expect(query?.get("extensions")).toBe("true");
    expect(query?.get("locale")).toBe("fi");
    expect(query?.get("updated_after")).toBe("2025-12-31T23:59:59Z");
    expect(query?.get("updated_before")).toBe("2026-01-02T00:00:00Z");
  });

  it("hands unreadable rows to onRejectedRecord and still counts them towards the cap", async () => {
    const rejects: CaseListReject[] = [];
    let calls = 0;
    server.use(
      http.get(LIST, () => {
        calls += 1;
        return HttpResponse.json([ROW, { service_code: "171" }]);
      }),
      // A second still at the cap is re-read per status and per service code.
      http.get(`${BASE}/services.json`, () => HttpResponse.json([{ service_code: "171" }])),
    );
    const truncated: unknown[] = [];
    const cases = await createOpen311CaseSystem({
      baseUrl: BASE,
      cap: 2,
      onTruncatedWindow: (window) => truncated.push(window),
      onRejectedRecord: (reject) => rejects.push(reject),
    }).listChangedCases(FROM, new Date(FROM.getTime() + 10_000));
    expect(cases).toHaveLength(1);
    // Two rows meet a cap of 2, so the window was split until it could not be (1 s).
    expect(calls).toBeGreaterThan(1);
    expect(rejects.length).toBe(calls);
    expect(rejects[0]?.reason).toMatch(/service_request_id/);
    // Every slice answers the same two rows: still at the cap, so the second is reported.
    expect(truncated.length).toBeGreaterThan(0);
  });

  it("answers null for 404 and for an empty list on getCase", async () => {
    server.use(
      http.get(`${BASE}/requests/:file`, ({ params }) =>
        params.file === "missing.json"
          ? HttpResponse.json([{ code: 404, description: "not found" }], { status: 404 })
          : HttpResponse.json([]),
      ),
    );
    expect(await client().getCase("missing")).toBeNull();
    expect(await client().getCase("empty")).toBeNull();
  });

  it("refuses an unreadable record on getCase as permanent, without half-parsing it", async () => {
    server.use(http.get(`${BASE}/requests/:file`, () => HttpResponse.json([{ service_request_id: "x", service_code: "171" }])));
    const error = await rejectionOf(client().getCase("x"));
    expect(error).toMatchObject({ code: "case_system_rejected", errorClass: "permanent" });
  });

  it("posts updates form-encoded with the key and returns the server's update id", async () => {
    let body: URLSearchParams | undefined;
    let contentType: string | null = null;
    server.use(
      http.post(`${BASE}/servicerequestupdates.json`, async ({ request }) => {
        contentType = request.headers.get("content-type");
        body = new URLSearchParams(await request.text());
        return HttpResponse.json([{ update_id: 991 }]);
      }),
    );
    const answer = await client({ apiKey: "secret" }).postStatusUpdate({
      serviceRequestId: ROW.service_request_id,
      updateId: "silta-1",
      updatedAt: "2026-01-01T12:00:00Z",
      status: "IN_PROGRESS",
      description: "Työ aloitettu.",
      externalStatusCode: "PUBLIC_WORKS_IN_PROGRESS",
    });
    expect(answer).toEqual({ updateId: "991" });
    expect(contentType).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(body ?? [])).toEqual({
      api_key: "secret",
      service_request_id: ROW.service_request_id,
      update_id: "silta-1",
      updated_datetime: "2026-01-01T12:00:00Z",
      status: "IN_PROGRESS",
      description: "Työ aloitettu.",
      external_status_code: "PUBLIC_WORKS_IN_PROGRESS",
    });
  });

  it("leaves out a null external status code and keeps its own id when the answer has none", async () => {
    let body: URLSearchParams | undefined;
    server.use(
      http.post(`${BASE}/servicerequestupdates.json`, async ({ request }) => {
        body = new URLSearchParams(await request.text());
        return HttpResponse.json([{}]);
      }),
    );
    const answer = await client({ apiKey: "secret" }).postStatusUpdate({
      serviceRequestId: ROW.service_request_id,
      updateId: "silta-2",
      updatedAt: "2026-01-01T12:00:00Z",
      status: "FIXED",
      description: "Korjattu.",
      externalStatusCode: null,
    });
    expect(answer).toEqual({ updateId: "silta-2" });
    expect(body?.has("external_status_code")).toBe(false);
  });
});
