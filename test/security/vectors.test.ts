import type { OpenAPIHono } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContractorApiWorkOrderSystem } from "../../adapters/contractor-api/client.ts";
import { createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import { ConfigError, parseConfig } from "../../src/config/config.ts";
import { contractorKeys, inboxEvents, links } from "../../src/db/schema/index.ts";
import { createApp } from "../../src/http/app.ts";
import { generateWebhookSecret, signWebhook } from "../../src/lib/webhook-signature.ts";
import { ADMIN_TOKEN, createHttpFixture, HANDLER_TOKEN, type HttpFixture } from "../integration/http-admin-fixture.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { changedTables, fingerprintDatabase } from "./support/fingerprint.ts";

/**
 * The refused vectors of reliability.md (S1–S3) with their "no side effect" part: every table
 * is fingerprinted (row count and a hash of every row) before and after each refused request,
 * so an insert, update or delete anywhere (inbox, ledger, outbox, audit, keys, links) fails the
 * test. The status codes alone are tested in test/integration/http-webhook-signature.test.ts,
 * http-contractor-access.test.ts and http-admin-api.test.ts; here each vector also proves it
 * changed nothing.
 */
let f: HttpFixture;
/** The same database behind an app whose targets verify for real: contractors sign their webhooks, Stara's rotation is over. */
let signed: OpenAPIHono;
const contractorSecrets = { east: generateWebhookSecret(), west: generateWebhookSecret() };
const refs = { east: "", west: "" };
let deadJobId = 0;
let westKeyId = 0;

beforeAll(async () => {
  f = await createHttpFixture();
  const east = makeCase({ ...PLACES.east });
  const west = makeCase({ ...PLACES.west });
  await f.deliver(east, west);
  for (const [side, record] of [
    ["east", east],
    ["west", west],
  ] as const) {
    const [link] = await f.database.db.select().from(links).where(eq(links.caseId, record.serviceRequestId));
    refs[side] = link?.externalRef ?? "";
  }
  deadJobId = (await f.deadLetterEast()).jobId;
  const [westKey] = await f.database.db.select().from(contractorKeys).where(eq(contractorKeys.target, "contractor-west"));
  westKeyId = westKey?.id ?? 0;

  const contractor = (targetId: string, secret: string) =>
    createContractorApiWorkOrderSystem({
      targetId,
      endpointUrl: "http://127.0.0.1:9/silta",
      webhookSecrets: [secret],
      timeoutMs: 200,
    });
  const staraAfterRotation = createStaraWorkOrderSystem({
    targetId: "stara",
    baseUrl: "http://127.0.0.1:9",
    token: "t",
    webhookSecrets: [f.staraSecrets[1]],
    timeoutMs: 200,
  });
  signed = createApp(
    {
      ...f.deps,
      targets: new Map([
        ["contractor-east", contractor("contractor-east", contractorSecrets.east)],
        ["contractor-west", contractor("contractor-west", contractorSecrets.west)],
        ["stara", staraAfterRotation],
      ]),
    },
    { adminTokens: [ADMIN_TOKEN], handlerTokens: [HANDLER_TOKEN] },
  );
}, 60_000);
afterAll(async () => f?.dispose());

/** Runs the request, expects `status`, and fails with the tables that changed if any did. */
async function refusedWithoutEffect(name: string, status: number, send: () => Promise<Response>): Promise<void> {
  const before = await fingerprintDatabase(f.database);
  const response = await send();
  const text = await response.text();
  expect(response.status, `${name}: ${text.slice(0, 300)}`).toBe(status);
  expect(changedTables(before, await fingerprintDatabase(f.database)), name).toEqual([]);
}

let seq = 0;
function staraBody(): { id: string; text: string } {
  seq++;
  const text = JSON.stringify({
    tapahtumat: [
      {
        tapahtuma_id: `sec-${seq}`,
        tunnus: `ST-SEC-${seq}`,
        ulkoinen_viite: `helsinki:sec-${seq}:stara`,
        tila: "TYÖN_ALLA",
        aikaleima: new Date().toISOString(),
      },
    ],
  });
  return { id: `msg_sec_${seq}`, text };
}

function contractorBody(workOrderId: string, status = "IN_PROGRESS"): { id: string; text: string } {
  seq++;
  const text = JSON.stringify({
    events: [{ eventId: `sec-${seq}`, workOrderId, status, occurredAt: new Date().toISOString() }],
  });
  return { id: `msg_sec_${seq}`, text };
}

function post(app: OpenAPIHono, path: string, text: string, headers: Record<string, string>) {
  return Promise.resolve(
    app.request(path, { method: "POST", body: text, headers: { "content-type": "application/json", ...headers } }),
  );
}

describe("webhooks (S1, S2): refused with 401 and nothing written anywhere", () => {
  it("Stara: forged, tampered body or id, expired, future-dated, unsigned, unprefixed, signed with a contractor's secret", async () => {
    const current = f.staraSecrets[0];
    const vectors: [string, () => { text: string; headers: Record<string, string> }][] = [
      ["forged", () => ((b) => ({ text: b.text, headers: signWebhook([generateWebhookSecret()], b.text, b.id) }))(staraBody())],
      [
        "tampered body",
        () =>
          ((b) => ({ text: b.text.replace("TYÖN_ALLA", "VALMIS"), headers: signWebhook([current], b.text, b.id) }))(staraBody()),
      ],
      [
        "tampered id",
        () =>
          ((b) => ({ text: b.text, headers: { ...signWebhook([current], b.text, b.id), "webhook-id": "msg_other" } }))(
            staraBody(),
          ),
      ],
      [
        "expired",
        () =>
          ((b) => ({ text: b.text, headers: signWebhook([current], b.text, b.id, new Date(Date.now() - 330_000)) }))(staraBody()),
      ],
      [
        "future-dated",
        () =>
          ((b) => ({ text: b.text, headers: signWebhook([current], b.text, b.id, new Date(Date.now() + 330_000)) }))(staraBody()),
      ],
      ["unsigned", () => ({ text: staraBody().text, headers: {} })],
      [
        "signed with contractor-east's secret",
        () => ((b) => ({ text: b.text, headers: signWebhook([contractorSecrets.east], b.text, b.id) }))(staraBody()),
      ],
    ];
    for (const [name, make] of vectors) {
      const { text, headers } = make();
      await refusedWithoutEffect(name, 401, () => post(f.app, "/webhooks/stara", text, headers));
    }
  });

  it("rotation: once the old secret is retired, a body signed with it is refused; the new one is accepted", async () => {
    const old = staraBody();
    await refusedWithoutEffect("retired secret", 401, () =>
      post(signed, "/webhooks/stara", old.text, signWebhook([f.staraSecrets[0]], old.text, old.id)),
    );
    const fresh = staraBody();
    const accepted = await post(signed, "/webhooks/stara", fresh.text, signWebhook([f.staraSecrets[1]], fresh.text, fresh.id));
    expect(accepted.status).toBe(200);
  });

  it("contractors' signed webhooks: forged, expired, future-dated, or signed with the other contractor's secret", async () => {
    const path = "/webhooks/contractor-east";
    const vectors: [string, (b: { id: string; text: string }) => Record<string, string>][] = [
      ["forged", (b) => signWebhook([generateWebhookSecret()], b.text, b.id)],
      ["expired", (b) => signWebhook([contractorSecrets.east], b.text, b.id, new Date(Date.now() - 330_000))],
      ["future-dated", (b) => signWebhook([contractorSecrets.east], b.text, b.id, new Date(Date.now() + 330_000))],
      ["contractor-west's secret on east's endpoint", (b) => signWebhook([contractorSecrets.west], b.text, b.id)],
    ];
    for (const [name, sign] of vectors) {
      const b = contractorBody(refs.east);
      await refusedWithoutEffect(name, 401, () => post(signed, path, b.text, sign(b)));
    }
    const valid = contractorBody(refs.east);
    expect((await post(signed, path, valid.text, signWebhook([contractorSecrets.east], valid.text, valid.id))).status).toBe(200);
  });

  it("a replay inside the window is answered as a duplicate and changes nothing (S2)", async () => {
    const b = staraBody();
    const headers = signWebhook([f.staraSecrets[0]], b.text, b.id);
    expect((await post(f.app, "/webhooks/stara", b.text, headers)).status).toBe(200);
    await refusedWithoutEffect("replayed webhook", 200, () => post(f.app, "/webhooks/stara", b.text, headers));
  });

  it("a contractor's correctly signed event for the other contractor's work order never moves that order", async () => {
    const [before] = await f.database.db.select().from(links).where(eq(links.externalRef, refs.west));
    const b = contractorBody(refs.west, "COMPLETED");
    const response = await post(signed, "/webhooks/contractor-east", b.text, signWebhook([contractorSecrets.east], b.text, b.id));
    expect(response.status).toBe(200);
    await f.settle();
    const [after] = await f.database.db.select().from(links).where(eq(links.externalRef, refs.west));
    expect(after?.fieldStatus).toBe(before?.fieldStatus);
    expect(after?.updatedAt).toEqual(before?.updatedAt);
    const [held] = await f.database.db
      .select()
      .from(inboxEvents)
      .where(eq(inboxEvents.eventId, `contractor-east:${JSON.parse(b.text).events[0].eventId}`));
    expect(held?.state).toBe("unknown_work_order");
  });
});

describe("contractor A against contractor B and against admin routes (S3): refused and nothing written", () => {
  const API = "/api/contractor/v1";
  const wo = (ref: string) => `${API}/work-orders/${encodeURIComponent(ref)}`;
  const event = (status = "RECEIVED") => JSON.stringify({ status, occurredAt: new Date().toISOString() });

  it("reading B's order, posting B an event, or B's event with A's replayed Idempotency-Key", async () => {
    await refusedWithoutEffect("read B's order", 404, () => f.request(wo(refs.west), { token: f.keys.east }));
    await refusedWithoutEffect("event on B's order", 404, () =>
      f.request(`${wo(refs.west)}/events`, {
        method: "POST",
        token: f.keys.east,
        headers: { "idempotency-key": "sec-cross-1" },
        body: event("COMPLETED"),
      }),
    );
    // A's own event, then the same key and body again: accepted once, the repeat changes nothing.
    const own = () =>
      f.request(`${wo(refs.east)}/events`, {
        method: "POST",
        token: f.keys.east,
        headers: { "idempotency-key": "sec-own-1" },
        body: JSON.stringify({ status: "RECEIVED", occurredAt: "2026-11-20T10:00:00Z" }),
      });
    expect((await own()).status).toBe(202);
    const before = await fingerprintDatabase(f.database);
    const repeat = await own();
    expect([200, 202]).toContain(repeat.status);
    expect(changedTables(before, await fingerprintDatabase(f.database))).toEqual([]);
  });

  it("a contractor key, a handler token or no token on every admin action", async () => {
    const actions: [string, string, unknown][] = [
      ["POST", `/api/admin/v1/failures/${deadJobId}/replay`, undefined],
      ["POST", `/api/admin/v1/failures/${deadJobId}/retry`, undefined],
      ["POST", `/api/admin/v1/failures/${deadJobId}/skip`, { note: "x" }],
      ["POST", `/api/admin/v1/failures/${deadJobId}/acknowledge`, { note: "x" }],
      ["POST", "/api/admin/v1/failures/replay", { dryRun: false, jobIds: [deadJobId] }],
      ["POST", "/api/admin/v1/quarantine/mappings", { target: "stara", code: "X", canonical: "in_progress" }],
      ["POST", "/api/admin/v1/contractors/contractor-east/keys", { label: "mine" }],
      ["POST", "/api/admin/v1/contractors/contractor-west/keys", { label: "theirs" }],
      ["DELETE", `/api/admin/v1/contractors/contractor-west/keys/${westKeyId}`, undefined],
    ];
    for (const [method, path, body] of actions) {
      for (const [who, token, status] of [
        ["contractor key", f.keys.east, 403],
        ["handler token", HANDLER_TOKEN, 401],
        ["no token", null, 401],
      ] as const) {
        await refusedWithoutEffect(`${who}: ${method} ${path}`, status, () =>
          f.request(path, { method, token, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
        );
      }
    }
    // The same action with the admin token does change something: the checks above are not vacuous.
    const before = await fingerprintDatabase(f.database);
    const done = await f.request(`/api/admin/v1/failures/${deadJobId}/acknowledge`, {
      method: "POST",
      token: ADMIN_TOKEN,
      body: JSON.stringify({ note: "seen" }),
    });
    expect(done.status).toBe(200);
    expect(changedTables(before, await fingerprintDatabase(f.database))).not.toEqual([]);
  });

  it("a console form posted without its CSRF token changes nothing", async () => {
    const login = await f.request("/admin/login", {
      method: "POST",
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    for (const fields of [{}, { _csrf: "forged-csrf-token" }] as Record<string, string>[]) {
      await refusedWithoutEffect(`console replay with ${JSON.stringify(fields)}`, 403, () =>
        f.request(`/admin/failures/${deadJobId}/replay`, {
          method: "POST",
          body: new URLSearchParams(fields),
          headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        }),
      );
    }
  });
});

describe("framing (clickjacking)", () => {
  const env = {
    SILTA_OPEN311_URL: "http://127.0.0.1:9000",
    SILTA_TARGET_STARA_URL: "http://127.0.0.1:9001",
    SILTA_TARGET_STARA_TOKEN: "t",
    SILTA_TARGET_STARA_WEBHOOK_SECRETS: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    SILTA_TARGET_STARA_ALLOW_PRIVATE: "true",
  };
  const targets = [{ id: "stara", kind: "stara" }] as const;

  it("the case page may be framed only by the origins in SILTA_CASE_PAGE_FRAME_ANCESTORS, by default only Silta's own", async () => {
    const configured = parseConfig({ ...env, SILTA_CASE_PAGE_FRAME_ANCESTORS: "https://palaute.hel.fi, 'self'" }, targets);
    expect(configured.casePageFrameAncestors).toEqual(["https://palaute.hel.fi", "'self'"]);
    const [link] = await f.database.db.select().from(links).where(eq(links.externalRef, refs.east));
    const path = `/cases/${link?.caseId}?token=${HANDLER_TOKEN}`;
    const framed = createApp(f.deps, {
      handlerTokens: [HANDLER_TOKEN],
      casePageFrameAncestors: configured.casePageFrameAncestors,
    });
    const csp = (await framed.request(path)).headers.get("content-security-policy");
    expect(csp).toContain("frame-ancestors https://palaute.hel.fi 'self'");
    expect((await f.request(path)).headers.get("content-security-policy")).toContain("frame-ancestors 'self'");
  });

  it("refuses anything but 'self' or https origins, naming the setting", () => {
    for (const bad of ["*", "http://palaute.hel.fi", "https://palaute.hel.fi/path", "'none'; script-src *"]) {
      expect(() => parseConfig({ ...env, SILTA_CASE_PAGE_FRAME_ANCESTORS: bad }, targets), bad).toThrow(ConfigError);
      try {
        parseConfig({ ...env, SILTA_CASE_PAGE_FRAME_ANCESTORS: bad }, targets);
      } catch (error) {
        expect(String(error), bad).toContain("SILTA_CASE_PAGE_FRAME_ANCESTORS");
      }
    }
  });
});
