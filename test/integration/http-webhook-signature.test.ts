import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inboxEvents } from "../../src/db/schema/index.ts";
import { generateWebhookSecret, signWebhook } from "../../src/lib/webhook-signature.ts";
import { createHttpFixture, type HttpFixture } from "./http-admin-fixture.ts";

/** The webhook signature vectors of reliability.md (S1, S2) against `/webhooks/stara`. */
let f: HttpFixture;
beforeAll(async () => {
  f = await createHttpFixture();
});
afterAll(async () => f?.dispose());

let seq = 0;
function body(): { id: string; text: string } {
  seq++;
  const text = JSON.stringify({
    tapahtumat: [
      {
        tapahtuma_id: `vec-${seq}`,
        tunnus: `ST-${seq}`,
        ulkoinen_viite: `helsinki:vec-${seq}:stara`,
        tila: "TYÖN_ALLA",
        aikaleima: new Date().toISOString(),
      },
    ],
  });
  return { id: `msg_vec_${seq}`, text };
}

async function post(text: string, headers: Record<string, string>) {
  return f.request("/webhooks/stara", {
    method: "POST",
    body: text,
    headers: { "content-type": "application/json", ...headers },
  });
}

const rows = async () => (await f.database.db.select().from(inboxEvents)).length;

describe("Stara webhook signatures", () => {
  it("accepts a body signed with the current secret and stores it", async () => {
    const before = await rows();
    const { id, text } = body();
    const response = await post(text, signWebhook([f.staraSecrets[0]], text, id));
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toEqual({ accepted: 1, duplicates: 0 });
    expect(await rows()).toBe(before + 1);
  });

  it("rotation overlap: the next secret alone, and both signatures together, are accepted", async () => {
    for (const secrets of [
      [f.staraSecrets[1]],
      [f.staraSecrets[1], f.staraSecrets[0]],
      [generateWebhookSecret(), f.staraSecrets[1]],
    ]) {
      const { id, text } = body();
      expect((await post(text, signWebhook(secrets, text, id))).status).toBe(200);
    }
  });

  it("refuses forged, tampered, expired, future-dated and unsigned bodies with 401 before any write", async () => {
    const before = await rows();
    const vectors: [string, () => { text: string; headers: Record<string, string> }][] = [
      [
        "forged (unknown secret)",
        () => {
          const b = body();
          return { text: b.text, headers: signWebhook([generateWebhookSecret()], b.text, b.id) };
        },
      ],
      [
        "tampered body",
        () => {
          const b = body();
          return { text: b.text.replace("TYÖN_ALLA", "VALMIS"), headers: signWebhook([f.staraSecrets[0]], b.text, b.id) };
        },
      ],
      [
        "tampered id",
        () => {
          const b = body();
          return { text: b.text, headers: { ...signWebhook([f.staraSecrets[0]], b.text, b.id), "webhook-id": "msg_other" } };
        },
      ],
      [
        "expired (330 s old)",
        () => {
          const b = body();
          return { text: b.text, headers: signWebhook([f.staraSecrets[0]], b.text, b.id, new Date(Date.now() - 330_000)) };
        },
      ],
      [
        "future-dated (330 s ahead)",
        () => {
          const b = body();
          return { text: b.text, headers: signWebhook([f.staraSecrets[0]], b.text, b.id, new Date(Date.now() + 330_000)) };
        },
      ],
      ["no signature headers", () => ({ text: body().text, headers: {} })],
      [
        "signature without v1 prefix",
        () => {
          const b = body();
          const h = signWebhook([f.staraSecrets[0]], b.text, b.id);
          return { text: b.text, headers: { ...h, "webhook-signature": h["webhook-signature"].replace(/^v1,/, "") } };
        },
      ],
    ];
    for (const [name, make] of vectors) {
      const { text, headers } = make();
      const response = await post(text, headers);
      expect(response.status, name).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code, name).toBe("unauthorized");
    }
    expect(await rows()).toBe(before);
  });

  it("accepts a timestamp just inside the window in both directions", async () => {
    for (const skew of [-290_000, 290_000]) {
      const { id, text } = body();
      expect((await post(text, signWebhook([f.staraSecrets[0]], text, id, new Date(Date.now() + skew)))).status).toBe(200);
    }
  });

  it("a replay inside the window has no second effect (S2)", async () => {
    const { id, text } = body();
    const headers = signWebhook([f.staraSecrets[0]], text, id);
    expect(await (await post(text, headers)).json()).toEqual({ accepted: 1, duplicates: 0 });
    const before = await rows();
    expect(await (await post(text, headers)).json()).toEqual({ accepted: 0, duplicates: 1 });
    expect(await rows()).toBe(before);
  });

  it("refuses an oversized body with 413 and an unknown target with 404", async () => {
    const big = "x".repeat(256 * 1024 + 1);
    expect((await post(big, signWebhook([f.staraSecrets[0]], big, "msg_big"))).status).toBe(413);
    const { id, text } = body();
    const response = await f.request("/webhooks/nobody", {
      method: "POST",
      body: text,
      headers: signWebhook([f.staraSecrets[0]], text, id),
    });
    expect(response.status).toBe(404);
  });
});
