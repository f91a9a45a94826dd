import type { DefaultBodyType, StrictRequest } from "msw";
import { delay, HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createStaraChangeFeed, createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import type { SiltaError } from "../../src/kernel/errors.ts";
import { isSiltaError } from "../../src/kernel/errors.ts";
import type { WorkOrderPayload } from "../../src/ports/work-order-system.ts";

const BASE = "https://stara.test";
const ORDERS = `${BASE}/api/v1/tyotilaukset`;
const TOKEN = "test-token";

interface Captured {
  method: string;
  url: URL;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
}

const server = setupServer();
const captured: Captured[] = [];

beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => {
  server.resetHandlers();
  captured.length = 0;
});
afterAll(() => server.close());

async function capture(request: StrictRequest<DefaultBodyType>): Promise<void> {
  const text = await request.text();
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key.toLowerCase()] = value;
  });
  captured.push({ method: request.method, url: new URL(request.url), headers, body: text ? JSON.parse(text) : undefined });
}

function stara(overrides: { timeoutMs?: number } = {}) {
  return createStaraWorkOrderSystem({
    targetId: "stara",
    baseUrl: `${BASE}/`,
    token: TOKEN,
    webhookSecrets: [],
    timeoutMs: 2_000,
    ...overrides,
  });
}

function workOrder(overrides: Partial<Record<string, unknown>> = {}) {
  return {
    tunnus: "ST-2026-000001",
    ulkoinen_viite: MINIMAL.externalRef,
    palautteen_tunnus: MINIMAL.serviceRequestId,
    palvelukoodi: MINIMAL.serviceCode,
    tila: "UUSI",
    huomautus: null,
    luotu: "2026-11-02T08:15:00.000Z",
    muokattu: "2026-11-02T08:15:00.000Z",
    ...overrides,
  };
}

const MINIMAL: WorkOrderPayload = {
  externalRef: "helsinki:2026-012345:stara",
  serviceRequestId: "2026-012345",
  serviceCode: "2807",
};
const KEY = "helsinki:2026-012345:stara";

/** Runs `action` and returns the SiltaError it threw (fails the test when it resolves or throws anything else). */
async function failureOf(action: Promise<unknown>): Promise<SiltaError> {
  const error = await action.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!isSiltaError(error)) throw new Error(`expected a SiltaError, got ${String(error)}`);
  return error;
}

describe("createWorkOrder request", () => {
  it("sends only the required fields when the payload carries nothing else, with the key and the token", async () => {
    server.use(
      http.post(ORDERS, async ({ request }) => {
        await capture(request);
        return HttpResponse.json(workOrder(), { status: 201 });
      }),
    );
    const created = await stara().createWorkOrder(
      { ...MINIMAL, title: null, description: undefined, reporterEmail: null, lat: 60.1 },
      KEY,
    );

    expect(created).toEqual({ workOrderId: "ST-2026-000001", externalRef: MINIMAL.externalRef, statusCode: "UUSI" });
    const [call] = captured;
    expect(call?.body).toEqual({ ulkoinen_viite: MINIMAL.externalRef, palautteen_tunnus: "2026-012345", palvelukoodi: "2807" });
    expect(call?.headers["idempotency-key"]).toBe(KEY);
    expect(call?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call?.headers["content-type"]).toBe("application/json");
  });

  it("maps every present field to Stara's Finnish body", async () => {
    server.use(
      http.post(ORDERS, async ({ request }) => {
        await capture(request);
        return HttpResponse.json(workOrder(), { status: 201 });
      }),
    );
    await stara().createWorkOrder(
      {
        ...MINIMAL,
        serviceName: "Katujen kunnossapito",
        title: "Kuoppa",
        description: "Syvä kuoppa.",
        address: "Mannerheimintie 5",
        lat: 60.1699,
        long: 24.9384,
        mediaUrls: ["https://media.test/a.jpg"],
        requestedAt: "2026-11-02T08:15:00+02:00",
        dueAt: "2026-11-09T16:00:00+02:00",
        reporterEmail: "[scrubbed]",
      },
      KEY,
    );
    expect(captured[0]?.body).toEqual({
      ulkoinen_viite: MINIMAL.externalRef,
      palautteen_tunnus: "2026-012345",
      palvelukoodi: "2807",
      palvelun_nimi: "Katujen kunnossapito",
      otsikko: "Kuoppa",
      kuvaus: "Syvä kuoppa.",
      osoite: "Mannerheimintie 5",
      sijainti: { lat: 60.1699, lon: 24.9384 },
      liitteet: ["https://media.test/a.jpg"],
      ilmoitettu: "2026-11-02T08:15:00+02:00",
      maaraaika: "2026-11-09T16:00:00+02:00",
      ilmoittaja: { sahkoposti: "[scrubbed]" },
    });
  });

  it("accepts 200 with the existing work order on a repeat", async () => {
    server.use(http.post(ORDERS, () => HttpResponse.json(workOrder({ tila: "TYÖN_ALLA" }), { status: 200 })));
    expect((await stara().createWorkOrder(MINIMAL, KEY)).statusCode).toBe("TYÖN_ALLA");
  });
});

describe("failure classification", () => {
  const virhe = (koodi: string) => ({ virhe: { koodi, viesti: "kuvaus: Henkilö Esimerkki, 040 123 4567" } });

  it("503 is a retryable server error", async () => {
    server.use(http.post(ORDERS, () => HttpResponse.json(virhe("palvelu_ei_kaytettavissa"), { status: 503 })));
    const error = await failureOf(stara().createWorkOrder(MINIMAL, KEY));
    expect(error.code).toBe("target_server_error");
    expect(error.retryable).toBe(true);
    expect(error.httpStatus).toBe(503);
  });

  it("429 with Retry-After is rate_limited with the wait in milliseconds", async () => {
    server.use(
      http.post(ORDERS, () => HttpResponse.json(virhe("liikaa_pyyntoja"), { status: 429, headers: { "Retry-After": "7" } })),
    );
    const error = await failureOf(stara().createWorkOrder(MINIMAL, KEY));
    expect(error.code).toBe("target_rate_limited");
    expect(error.errorClass).toBe("rate_limited");
    expect(error.retryAfterMs).toBe(7_000);
  });

  it("422 is permanent and carries Stara's code but not its message (which may echo personal data)", async () => {
    server.use(http.post(ORDERS, () => HttpResponse.json(virhe("kentta_kelpaamaton"), { status: 422 })));
    const error = await failureOf(stara().createWorkOrder(MINIMAL, KEY));
    expect(error.code).toBe("target_rejected");
    expect(error.errorClass).toBe("permanent");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("kentta_kelpaamaton");
    expect(error.message).not.toContain("040");
    expect(error.context.staraCode).toBe("kentta_kelpaamaton");
  });

  it("401 is an auth failure", async () => {
    server.use(http.post(ORDERS, () => HttpResponse.json(virhe("tunnistus_epaonnistui"), { status: 401 })));
    const error = await failureOf(stara().createWorkOrder(MINIMAL, KEY));
    expect(error.code).toBe("target_auth_failed");
    expect(error.errorClass).toBe("auth");
  });

  it("a timeout is indeterminate: the create may have happened", async () => {
    server.use(
      http.post(ORDERS, async () => {
        await delay(1_000);
        return HttpResponse.json(workOrder(), { status: 201 });
      }),
    );
    const error = await failureOf(stara({ timeoutMs: 50 }).createWorkOrder(MINIMAL, KEY));
    expect(error.code).toBe("target_timeout");
    expect(error.errorClass).toBe("indeterminate");
    expect(error.retryable).toBe(true);
  });

  it("a refused connection is transient", async () => {
    server.use(http.post(ORDERS, () => HttpResponse.error()));
    const error = await failureOf(stara().createWorkOrder(MINIMAL, KEY));
    expect(error.code).toBe("target_unavailable");
    expect(error.errorClass).toBe("transient");
  });

  it.each([
    ["a body of the wrong shape", () => HttpResponse.json({ id: 1, status: "ok" }, { status: 201 })],
    [
      "a body that is not JSON",
      () => new HttpResponse('{"tunnus": "ST-', { status: 201, headers: { "Content-Type": "application/json" } }),
    ],
    ["an empty body", () => new HttpResponse(null, { status: 201 })],
  ])("a 2xx with %s is target_bad_response", async (_label, answer) => {
    server.use(http.post(ORDERS, answer));
    const error = await failureOf(stara().createWorkOrder(MINIMAL, KEY));
    expect(error.code).toBe("target_bad_response");
  });

  it("a redirect is not followed", async () => {
    server.use(
      http.post(ORDERS, () => new HttpResponse(null, { status: 307, headers: { Location: "https://elsewhere.test/steal" } })),
    );
    const error = await failureOf(stara().createWorkOrder(MINIMAL, KEY));
    expect(error.httpStatus).toBe(307);
    expect(error.retryable).toBe(false);
  });
});

describe("findByExternalRef", () => {
  it("queries by ulkoinen_viite and returns the oldest match", async () => {
    server.use(
      http.get(ORDERS, async ({ request }) => {
        await capture(request);
        return HttpResponse.json({ tyotilaukset: [workOrder(), workOrder({ tunnus: "ST-2026-000002" })] });
      }),
    );
    const found = await stara().findByExternalRef(MINIMAL.externalRef);
    expect(captured[0]?.url.searchParams.get("ulkoinen_viite")).toBe(MINIMAL.externalRef);
    expect(found?.workOrderId).toBe("ST-2026-000001");
  });

  it("returns null for an empty list", async () => {
    server.use(http.get(ORDERS, () => HttpResponse.json({ tyotilaukset: [] })));
    expect(await stara().findByExternalRef("nope")).toBeNull();
  });
});

describe("cancelWorkOrder", () => {
  const cancelUrl = `${ORDERS}/:tunnus/peruutus`;

  it("posts the reason to the work order's peruutus", async () => {
    server.use(
      http.post(cancelUrl, async ({ request }) => {
        await capture(request);
        return HttpResponse.json(workOrder({ tila: "PERUTTU" }));
      }),
    );
    await stara().cancelWorkOrder({ workOrderId: "ST-2026-000001", externalRef: MINIMAL.externalRef }, "Palaute suljettu");
    expect(captured[0]?.url.pathname).toBe("/api/v1/tyotilaukset/ST-2026-000001/peruutus");
    expect(captured[0]?.body).toEqual({ syy: "Palaute suljettu" });
  });

  it("looks the work order up when Silta has no id, and cancels every match", async () => {
    server.use(
      http.get(ORDERS, () => HttpResponse.json({ tyotilaukset: [workOrder(), workOrder({ tunnus: "ST-2026-000002" })] })),
      http.post(cancelUrl, async ({ request }) => {
        await capture(request);
        return HttpResponse.json(workOrder({ tila: "PERUTTU" }));
      }),
    );
    await stara().cancelWorkOrder({ workOrderId: null, externalRef: MINIMAL.externalRef }, "syy");
    expect(captured.map((call) => call.url.pathname)).toEqual([
      "/api/v1/tyotilaukset/ST-2026-000001/peruutus",
      "/api/v1/tyotilaukset/ST-2026-000002/peruutus",
    ]);
  });

  it("is done when Stara does not know the work order (its own 404) or it already finished (409)", async () => {
    server.use(
      http.post(`${ORDERS}/gone/peruutus`, () =>
        HttpResponse.json({ virhe: { koodi: "tyotilausta_ei_loydy", viesti: "" } }, { status: 404 }),
      ),
      http.post(`${ORDERS}/done/peruutus`, () =>
        HttpResponse.json({ virhe: { koodi: "tyotilaus_paattynyt", viesti: "" } }, { status: 409 }),
      ),
    );
    await expect(stara().cancelWorkOrder({ workOrderId: "gone", externalRef: "r" }, "syy")).resolves.toBeUndefined();
    await expect(stara().cancelWorkOrder({ workOrderId: "done", externalRef: "r" }, "syy")).resolves.toBeUndefined();
  });

  it("a 404 without Stara's error body (wrong base URL, a proxy) stays an error", async () => {
    server.use(http.post(cancelUrl, () => new HttpResponse("Not Found", { status: 404 })));
    const error = await failureOf(stara().cancelWorkOrder({ workOrderId: "x", externalRef: "r" }, "syy"));
    expect(error.code).toBe("target_not_found");
  });
});

describe("change feed", () => {
  const event = (id: string, tila: string) => ({
    tapahtuma_id: id,
    tunnus: "ST-2026-000001",
    ulkoinen_viite: MINIMAL.externalRef,
    tila,
    aikaleima: "2026-11-02T08:20:00.000Z",
    huomautus: null,
  });

  it("passes cursor and limit and maps the page", async () => {
    server.use(
      http.get(`${BASE}/api/v1/muutokset`, async ({ request }) => {
        await capture(request);
        return HttpResponse.json({ muutokset: [event("e-2", "TYÖN_ALLA")], seuraava: "2", lisaa: false });
      }),
    );
    const feed = createStaraChangeFeed({ baseUrl: BASE, token: TOKEN });
    const page = await feed.listChanges("1", 50);
    expect(captured[0]?.url.searchParams.get("jalkeen")).toBe("1");
    expect(captured[0]?.url.searchParams.get("raja")).toBe("50");
    expect(page).toEqual({
      events: [
        {
          eventId: "e-2",
          externalRef: MINIMAL.externalRef,
          workOrderId: "ST-2026-000001",
          statusCode: "TYÖN_ALLA",
          occurredAt: "2026-11-02T08:20:00.000Z",
          note: null,
        },
      ],
      nextCursor: "2",
      hasMore: false,
    });
  });

  it("starts without a cursor and rejects a malformed page", async () => {
    server.use(
      http.get(`${BASE}/api/v1/muutokset`, async ({ request }) => {
        await capture(request);
        return HttpResponse.json({ muutokset: [{ tila: "VALMIS" }], seuraava: "3", lisaa: false });
      }),
    );
    const error = await failureOf(createStaraChangeFeed({ baseUrl: BASE, token: TOKEN }).listChanges(null));
    expect(captured[0]?.url.searchParams.has("jalkeen")).toBe(false);
    expect(error.code).toBe("target_bad_response");
  });
});
