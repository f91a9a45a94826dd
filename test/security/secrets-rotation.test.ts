import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import { parseConfig } from "../../src/config/config.ts";
import type { SiltaDeps } from "../../src/domain/deps.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { runWorkOnce, wasIdle } from "../../src/domain/jobs/work-loop.ts";
import { createApp } from "../../src/http/app.ts";
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from "../../src/lib/webhook-signature.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { drain, makeDeps } from "../support/deps.ts";
import { FakeCaseSystem, FakeWorkOrderSystem, makeCase, PLACES } from "../support/fakes.ts";

/**
 * Rotation without downtime (S8): for every kind of secret, old and new are both accepted
 * during the overlap, then only the new one, and a client that switches during the overlap
 * never sees a failed request. Token and secret lists are configuration, so a change of list
 * is a (rolling) restart: each phase below is an app built with that phase's settings.
 */
let database: TestDatabase;
let deps: SiltaDeps;
let caseId: string;
const OLD_ADMIN = "admin-token-old-0123456789abcdef";
const NEW_ADMIN = "admin-token-new-0123456789abcdef";
const OLD_HANDLER = "handler-token-old-0123456789abcd";
const NEW_HANDLER = "handler-token-new-0123456789abcd";
const OLD_SECRET = generateWebhookSecret();
const NEW_SECRET = generateWebhookSecret();

beforeAll(async () => {
  database = await createTestDatabase();
  deps = makeDeps(database, new FakeCaseSystem(), [
    new FakeWorkOrderSystem("contractor-east"),
    new FakeWorkOrderSystem("contractor-west"),
  ]);
  const record = makeCase({ ...PLACES.east });
  caseId = record.serviceRequestId;
  await ingestCases(deps, [record]);
  await drain(deps, async (d) => ({ idle: wasIdle(await runWorkOnce(d)) }));
});
afterAll(async () => database?.dispose());

/** A Silta process started with these settings, sharing the database with the others. */
function siltaWith(settings: { admin: string[]; handler?: string[]; staraSecrets?: string[] }) {
  const stara = createStaraWorkOrderSystem({
    targetId: "stara",
    baseUrl: "http://127.0.0.1:9",
    token: "stara-token-unused",
    webhookSecrets: settings.staraSecrets ?? [OLD_SECRET],
    timeoutMs: 200,
  });
  const processDeps: SiltaDeps = { ...deps, targets: new Map([...deps.targets, ["stara", stara]]) };
  return createApp(processDeps, { adminTokens: settings.admin, handlerTokens: settings.handler ?? [] });
}

async function status(app: ReturnType<typeof siltaWith>, path: string, token: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  const response = await app.request(path, { ...init, headers });
  return response.status;
}

describe("contractor API keys: issue the new one, switch, revoke the old one", () => {
  it("a client switching keys mid-rotation never fails; afterwards only the new key works", async () => {
    const app = siltaWith({ admin: [OLD_ADMIN] });
    const issue = async () => {
      const response = await app.request("/api/admin/v1/contractors/contractor-east/keys", {
        method: "POST",
        headers: { authorization: `Bearer ${OLD_ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify({ label: "rotation" }),
      });
      expect(response.status).toBe(201);
      return (await response.json()) as { id: number; key: string };
    };
    const old = await issue();
    let current = old.key;
    const statuses: number[] = [];
    let running = true;
    // The contractor's client keeps reading its feed with whatever key it holds right now.
    const client = (async () => {
      while (running) {
        statuses.push(await status(app, "/api/contractor/v1/work-orders", current));
        // In-process requests on PGlite settle in microtasks only: yield so the test's timers run.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    })();
    const tick = () => new Promise((resolve) => setTimeout(resolve, 30));
    await tick();
    const next = await issue();
    await tick();
    expect(await status(app, "/api/contractor/v1/work-orders", old.key)).toBe(200);
    expect(await status(app, "/api/contractor/v1/work-orders", next.key)).toBe(200);
    current = next.key;
    await tick();
    const revoked = await app.request(`/api/admin/v1/contractors/contractor-east/keys/${old.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${OLD_ADMIN}` },
    });
    expect(revoked.status).toBe(200);
    await tick();
    running = false;
    await client;
    expect(statuses.length).toBeGreaterThan(3);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await status(app, "/api/contractor/v1/work-orders", old.key)).toBe(401);
    expect(await status(app, "/api/contractor/v1/work-orders", next.key)).toBe(200);
  });
});

describe("admin and handler tokens: lists, rolled out as a rolling restart", () => {
  it("old only → old and new → new only; the client switches during the overlap and never fails", async () => {
    const phases = [
      { app: siltaWith({ admin: [OLD_ADMIN], handler: [OLD_HANDLER] }), client: { admin: OLD_ADMIN, handler: OLD_HANDLER } },
      {
        app: siltaWith({ admin: [OLD_ADMIN, NEW_ADMIN], handler: [OLD_HANDLER, NEW_HANDLER] }),
        client: { admin: OLD_ADMIN, handler: OLD_HANDLER },
      },
      {
        app: siltaWith({ admin: [OLD_ADMIN, NEW_ADMIN], handler: [OLD_HANDLER, NEW_HANDLER] }),
        client: { admin: NEW_ADMIN, handler: NEW_HANDLER },
      },
      { app: siltaWith({ admin: [NEW_ADMIN], handler: [NEW_HANDLER] }), client: { admin: NEW_ADMIN, handler: NEW_HANDLER } },
    ];
    for (const [index, { app, client }] of phases.entries()) {
      expect(await status(app, "/api/admin/v1/overview", client.admin), `phase ${index}`).toBe(200);
      expect(await status(app, `/api/v1/cases/${caseId}`, client.handler), `phase ${index}`).toBe(200);
    }
    // Both accepted during the overlap:
    const overlap = phases[1]?.app;
    if (!overlap) throw new Error("unreachable");
    for (const token of [OLD_ADMIN, NEW_ADMIN]) expect(await status(overlap, "/api/admin/v1/overview", token)).toBe(200);
    const after = phases[3]?.app;
    if (!after) throw new Error("unreachable");
    expect(await status(after, "/api/admin/v1/overview", OLD_ADMIN)).toBe(401);
    expect(await status(after, `/api/v1/cases/${caseId}`, OLD_HANDLER)).toBe(401);
  });

  it("configuration takes the lists comma-separated", () => {
    const config = parseConfig(
      {
        SILTA_OPEN311_URL: "https://palautews.hel.fi/v1",
        SILTA_ADMIN_TOKENS: `${OLD_ADMIN}, ${NEW_ADMIN}`,
        SILTA_HANDLER_TOKENS: `${OLD_HANDLER},${NEW_HANDLER}`,
        SILTA_TARGET_STARA_URL: "https://stara.example.fi/api",
        SILTA_TARGET_STARA_TOKEN: "t",
        SILTA_TARGET_STARA_WEBHOOK_SECRETS: `${OLD_SECRET},${NEW_SECRET}`,
      },
      [{ id: "stara", kind: "stara" }],
    );
    expect(config.adminTokens).toEqual([OLD_ADMIN, NEW_ADMIN]);
    expect(config.handlerTokens).toEqual([OLD_HANDLER, NEW_HANDLER]);
    expect(config.targets.stara?.webhookSecrets).toEqual([OLD_SECRET, NEW_SECRET]);
  });
});

describe("webhook secrets", () => {
  let seq = 0;
  function staraWebhook(secret: string) {
    seq++;
    const text = JSON.stringify({
      tapahtumat: [
        {
          tapahtuma_id: `rot-${seq}`,
          tunnus: `ST-${seq}`,
          ulkoinen_viite: `helsinki:rot-${seq}:stara`,
          tila: "TYÖN_ALLA",
          aikaleima: new Date().toISOString(),
        },
      ],
    });
    return { body: text, headers: { "content-type": "application/json", ...signWebhook([secret], text, `msg_rot_${seq}`) } };
  }

  it("inbound (Stara signs): Silta accepts old and new during the overlap, then only new; Stara's switch loses nothing", async () => {
    const phases = [
      { silta: [OLD_SECRET], stara: OLD_SECRET },
      { silta: [OLD_SECRET, NEW_SECRET], stara: OLD_SECRET },
      { silta: [OLD_SECRET, NEW_SECRET], stara: NEW_SECRET },
      { silta: [NEW_SECRET], stara: NEW_SECRET },
    ];
    for (const [index, phase] of phases.entries()) {
      const app = siltaWith({ admin: [OLD_ADMIN], staraSecrets: phase.silta });
      const response = await app.request("/webhooks/stara", { method: "POST", ...staraWebhook(phase.stara) });
      expect(response.status, `phase ${index}: ${await response.clone().text()}`).toBe(200);
    }
    const after = siltaWith({ admin: [OLD_ADMIN], staraSecrets: [NEW_SECRET] });
    expect((await after.request("/webhooks/stara", { method: "POST", ...staraWebhook(OLD_SECRET) })).status).toBe(401);
  });

  it("outbound (Silta signs pushes): one signature per active secret, so a contractor on either secret verifies", () => {
    const body = JSON.stringify({ type: "work_order.created" });
    const during = signWebhook([OLD_SECRET, NEW_SECRET], body, "msg_push_1");
    const headers = { ...during };
    expect(() => verifyWebhookSignature([OLD_SECRET], headers, body)).not.toThrow();
    expect(() => verifyWebhookSignature([NEW_SECRET], headers, body)).not.toThrow();
    // After the overlap Silta signs with the new secret only: a contractor still on the old one is refused.
    const after = signWebhook([NEW_SECRET], body, "msg_push_2");
    expect(() => verifyWebhookSignature([OLD_SECRET], { ...after }, body)).toThrow();
    expect(() => verifyWebhookSignature([NEW_SECRET, OLD_SECRET], { ...after }, body)).not.toThrow();
  });
});
