import { describe, expect, it } from "vitest";
import { createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import type { SiltaError } from "../../src/kernel/errors.ts";
import { isSiltaError } from "../../src/kernel/errors.ts";
import { generateWebhookSecret, signWebhook } from "../../src/lib/webhook-signature.ts";

const CURRENT = generateWebhookSecret();
const NEXT = generateWebhookSecret();
const STRANGER = generateWebhookSecret();

const EVENTS = {
  tapahtumat: [
    {
      tapahtuma_id: "evt-1",
      tunnus: "ST-2026-000001",
      ulkoinen_viite: "helsinki:2026-012345:stara",
      tila: "TYÖN_ALLA",
      aikaleima: "2026-11-02T08:20:00.000Z",
      huomautus: "Työryhmä kohteessa.",
    },
    {
      tapahtuma_id: "evt-2",
      tunnus: "ST-2026-000001",
      ulkoinen_viite: "helsinki:2026-012345:stara",
      tila: "VALMIS",
      aikaleima: "2026-11-02T10:00:00+02:00",
      huomautus: null,
    },
  ],
};
const BODY = JSON.stringify(EVENTS);

function receiver(secrets: string[] = [CURRENT]) {
  return createStaraWorkOrderSystem({ targetId: "stara", baseUrl: "https://stara.test", token: "t", webhookSecrets: secrets });
}

function signed(body: string, secrets: string[] = [CURRENT], at: Date = new Date()) {
  return signWebhook(secrets, body, "msg_1", at);
}

async function rejection(action: Promise<unknown>): Promise<SiltaError> {
  const error = await action.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!isSiltaError(error)) throw new Error(`expected a SiltaError, got ${String(error)}`);
  return error;
}

describe("Stara webhook verification", () => {
  it("parses a validly signed body into FieldEvents with the raw status codes", async () => {
    const events = await receiver().verifyWebhook(signed(BODY), BODY);
    expect(events).toEqual([
      {
        eventId: "evt-1",
        externalRef: "helsinki:2026-012345:stara",
        workOrderId: "ST-2026-000001",
        statusCode: "TYÖN_ALLA",
        occurredAt: "2026-11-02T08:20:00.000Z",
        note: "Työryhmä kohteessa.",
      },
      {
        eventId: "evt-2",
        externalRef: "helsinki:2026-012345:stara",
        workOrderId: "ST-2026-000001",
        statusCode: "VALMIS",
        occurredAt: "2026-11-02T10:00:00+02:00",
        note: null,
      },
    ]);
  });

  it("normalises a decomposed Ö so that TYÖN_ALLA compares equal", async () => {
    const body = JSON.stringify({ tapahtumat: [{ ...EVENTS.tapahtumat[0], tila: "TYÖN_ALLA".normalize("NFD") }] });
    const [event] = await receiver().verifyWebhook(signed(body), body);
    expect(event?.statusCode).toBe("TYÖN_ALLA");
  });

  it("accepts header names in any case", async () => {
    const headers = Object.fromEntries(Object.entries(signed(BODY)).map(([key, value]) => [key.toUpperCase(), value]));
    await expect(receiver().verifyWebhook(headers, BODY)).resolves.toHaveLength(2);
  });

  it("rejects a tampered body", async () => {
    const tampered = BODY.replace("TYÖN_ALLA", "VALMIS");
    const error = await rejection(receiver().verifyWebhook(signed(BODY), tampered));
    expect(error.code).toBe("webhook_signature_invalid");
  });

  it("rejects a body signed with another secret", async () => {
    const error = await rejection(receiver().verifyWebhook(signed(BODY, [STRANGER]), BODY));
    expect(error.code).toBe("webhook_signature_invalid");
  });

  it("rejects missing signature headers", async () => {
    const { "webhook-signature": _dropped, ...headers } = signed(BODY);
    const error = await rejection(receiver().verifyWebhook(headers, BODY));
    expect(error.code).toBe("webhook_signature_invalid");
  });

  it.each([
    ["expired (301 s old)", -301_000],
    ["future-dated (301 s ahead)", 301_000],
  ])("rejects an %s timestamp", async (_label, offsetMs) => {
    const error = await rejection(receiver().verifyWebhook(signed(BODY, [CURRENT], new Date(Date.now() + offsetMs)), BODY));
    expect(error.code).toBe("webhook_signature_invalid");
  });

  it("accepts timestamps just inside the window", async () => {
    await expect(receiver().verifyWebhook(signed(BODY, [CURRENT], new Date(Date.now() - 290_000)), BODY)).resolves.toHaveLength(
      2,
    );
    await expect(receiver().verifyWebhook(signed(BODY, [CURRENT], new Date(Date.now() + 290_000)), BODY)).resolves.toHaveLength(
      2,
    );
  });

  it("during a rotation accepts either secret, and a message signed with both", async () => {
    const rotating = receiver([CURRENT, NEXT]);
    await expect(rotating.verifyWebhook(signed(BODY, [CURRENT]), BODY)).resolves.toHaveLength(2);
    await expect(rotating.verifyWebhook(signed(BODY, [NEXT]), BODY)).resolves.toHaveLength(2);
    await expect(receiver([NEXT]).verifyWebhook(signed(BODY, [CURRENT, NEXT]), BODY)).resolves.toHaveLength(2);
    const error = await rejection(rotating.verifyWebhook(signed(BODY, [STRANGER]), BODY));
    expect(error.code).toBe("webhook_signature_invalid");
  });

  it.each([
    ["not JSON", "{tapahtumat"],
    ["no events", JSON.stringify({ tapahtumat: [] })],
    ["an event without id", JSON.stringify({ tapahtumat: [{ ...EVENTS.tapahtumat[0], tapahtuma_id: undefined }] })],
    ["a bad timestamp", JSON.stringify({ tapahtumat: [{ ...EVENTS.tapahtumat[0], aikaleima: "eilen" }] })],
    ["the wrong envelope", JSON.stringify(EVENTS.tapahtumat)],
  ])("a signed body with %s is webhook_malformed", async (_label, body) => {
    const error = await rejection(receiver().verifyWebhook(signed(body), body));
    expect(error.code).toBe("webhook_malformed");
    expect(error.retryable).toBe(false);
  });
});
