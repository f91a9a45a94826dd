import { and, asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, links, outboxJobs, reconciliationFindings } from "../../src/db/schema/index.ts";
import { verifyAuditChain } from "../../src/domain/admin/audit-verify.ts";
import { checkLedgerBalance } from "../../src/domain/ledger.ts";
import { adminApiRoutes } from "../../src/http/admin-api/routes.ts";
import { sha256Hex } from "../../src/lib/hash.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { ADMIN_TOKEN, createHttpFixture, HANDLER_TOKEN, type HttpFixture } from "./http-admin-fixture.ts";

let f: HttpFixture;
beforeAll(async () => {
  f = await createHttpFixture();
});
afterAll(async () => f?.dispose());

const API = "/api/admin/v1";

async function json<T = Record<string, unknown>>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function jobState(jobId: number) {
  const [job] = await f.database.db.select().from(outboxJobs).where(eq(outboxJobs.id, jobId));
  return job;
}

/** A concrete request for every documented route (path parameters filled in). */
function concreteRequests(): { method: string; path: string; body?: string }[] {
  return adminApiRoutes.map((route) => ({
    method: route.method.toUpperCase(),
    path: `${API}${route.path.replace("{jobId}", "1").replace("{caseId}", "x").replace("{target}", "contractor-east").replace("{keyId}", "1")}`,
    ...(route.method === "post"
      ? { body: JSON.stringify({ dryRun: true, jobIds: [1], note: "n", target: "stara", code: "X", canonical: "received" }) }
      : {}),
  }));
}

describe("admin API authentication (S3)", () => {
  it("every admin route answers 401 without a token, with a wrong token and with a handler token", async () => {
    for (const { method, path, body } of concreteRequests()) {
      for (const token of [null, "wrong-token-0123456789abcdefghij", HANDLER_TOKEN]) {
        const response = await f.request(path, { method, token, ...(body ? { body } : {}) });
        const error = await json<{ error: { code: string; requestId: string } }>(response, 401);
        expect(error.error.code, `${method} ${path}`).toBe("unauthorized");
        expect(error.error.requestId).toBe(response.headers.get("x-request-id"));
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      }
    }
  });

  it("every admin route answers 403 to a contractor's valid API key", async () => {
    for (const { method, path, body } of concreteRequests()) {
      for (const key of [f.keys.east, f.keys.west]) {
        const error = await json<{ error: { code: string } }>(
          await f.request(path, { method, token: key, ...(body ? { body } : {}) }),
          403,
        );
        expect(error.error.code, `${method} ${path}`).toBe("forbidden");
      }
    }
  });

  it("a malformed Authorization header is refused like a missing one", async () => {
    const response = await f.request(`${API}/overview`, { headers: { authorization: `Basic ${btoa(`x:${ADMIN_TOKEN}`)}` } });
    expect(response.status).toBe(401);
  });
});

describe("the served document", () => {
  it("is OpenAPI 3.1 with an operationId, tags and error responses on every route, and a readable docs page", async () => {
    const doc = await json<{
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; tags: string[]; responses: Record<string, unknown> }>>;
    }>(await f.request(`${API}/openapi.json`), 200);
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item));
    expect(operations).toHaveLength(adminApiRoutes.length);
    for (const op of operations) {
      expect(op.operationId).toBeTruthy();
      expect(op.tags.length).toBeGreaterThan(0);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403", "500"]));
    }
    const page = await f.request(`${API}/docs`);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    for (const op of operations) expect(html).toContain(op.operationId);
  });
});

describe("failures", () => {
  it("lists a dead letter with its reason and filters by target, class, code, age and free text", async () => {
    const dead = await f.deadLetterEast();
    const list = async (query: string) =>
      (
        await json<{ items: { jobId: number }[] }>(await f.request(`${API}/failures?${query}`, { token: ADMIN_TOKEN }), 200)
      ).items.map((i) => i.jobId);
    const [item] = (
      await json<{ items: Record<string, unknown>[] }>(await f.request(`${API}/failures?state=dead`, { token: ADMIN_TOKEN }), 200)
    ).items.filter((i) => i.jobId === dead.jobId);
    expect(item).toMatchObject({
      target: "contractor-east",
      errorCode: "target_rejected",
      errorClass: "permanent",
      httpStatus: 422,
      state: "dead",
      attempts: 1,
    });
    expect(item?.reason).toContain("field too long");
    expect(await list("target=contractor-east")).toContain(dead.jobId);
    expect(await list("target=contractor-west")).not.toContain(dead.jobId);
    expect(await list("errorClass=permanent")).toContain(dead.jobId);
    expect(await list("errorClass=auth")).not.toContain(dead.jobId);
    expect(await list("errorCode=target_rejected")).toContain(dead.jobId);
    expect(await list(`q=${dead.caseId}`)).toEqual([dead.jobId]);
    expect(await list("q=too%20long")).toContain(dead.jobId);
    expect(await list(`q=${dead.jobId}`)).toContain(dead.jobId);
    expect(await list("q=no-such-thing")).toEqual([]);
    expect(await list("minAgeMinutes=600")).toEqual([]);
    expect(await list("minAgeMinutes=0")).toContain(dead.jobId);
  });

  it("refuses malformed filters with 400 in the shared error shape", async () => {
    for (const query of ["errorClass=bogus", "state=nope", "limit=0", "minAgeMinutes=-1"]) {
      const error = await json<{ error: { code: string; message: string } }>(
        await f.request(`${API}/failures?${query}`, { token: ADMIN_TOKEN }),
        400,
      );
      expect(error.error.code).toBe("invalid_request");
    }
  });

  it("shows one failure with the allowlisted payload, reporter fields never shown", async () => {
    const dead = await f.deadLetterEast();
    const detail = await json<{ failure: { jobId: number }; payload: { destination: string; body: Record<string, unknown> } }>(
      await f.request(`${API}/failures/${dead.jobId}`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(detail.failure.jobId).toBe(dead.jobId);
    expect(detail.payload.destination).toBe("contractor-east");
    expect(detail.payload.body).toMatchObject({ externalRef: dead.externalRef, serviceCode: "171" });
    expect(Object.keys(detail.payload.body)).not.toEqual(expect.arrayContaining(["reporterEmail"]));
    expect((await f.request(`${API}/failures/999999`, { token: ADMIN_TOKEN })).status).toBe(404);
    expect((await f.request(`${API}/failures/abc`, { token: ADMIN_TOKEN })).status).toBe(400);
  });

  it("replays a dead letter: the work order is created once, after a lookup, and the ledger balances", async () => {
    const dead = await f.deadLetterEast();
    const before = { ...f.targets.east.calls };
    const result = await json(
      await f.request(`${API}/failures/${dead.jobId}/replay`, { method: "POST", token: ADMIN_TOKEN }),
      200,
    );
    expect(result).toMatchObject({ ok: true, result: "requeued", subject: `job:${dead.jobId}` });
    const [parked] = await f.database.db.select().from(links).where(eq(links.externalRef, dead.externalRef));
    expect(parked?.state).toBe("pending");
    expect((await jobState(dead.jobId))?.attempts).toBeGreaterThanOrEqual(1);
    await f.settle();
    const [link] = await f.database.db.select().from(links).where(eq(links.externalRef, dead.externalRef));
    expect(link?.state).toBe("forwarded");
    expect(f.targets.east.orders.get(dead.externalRef)?.creates).toBe(1);
    expect(f.targets.east.calls.find).toBe(before.find + 1);
    expect((await checkLedgerBalance(f.database)).violations).toEqual([]);
    // Replaying again is not applicable: the job is done.
    const again = await json<{ error: { code: string } }>(
      await f.request(`${API}/failures/${dead.jobId}/replay`, { method: "POST", token: ADMIN_TOKEN }),
      409,
    );
    expect(again.error.code).toBe("conflict");
    expect((await f.request(`${API}/failures/999999/replay`, { method: "POST", token: ADMIN_TOKEN })).status).toBe(404);
  });

  it("retry now applies to a waiting job only", async () => {
    const dead = await f.deadLetterEast();
    expect((await f.request(`${API}/failures/${dead.jobId}/retry`, { method: "POST", token: ADMIN_TOKEN })).status).toBe(409);
    const later = new Date(Date.now() + 3_600_000);
    await f.database.db
      .update(outboxJobs)
      .set({ state: "pending", runAt: later, lastErrorCode: "target_unavailable" })
      .where(eq(outboxJobs.id, dead.jobId));
    await json(await f.request(`${API}/failures/${dead.jobId}/retry`, { method: "POST", token: ADMIN_TOKEN }), 200);
    const job = await jobState(dead.jobId);
    expect(job?.runAt.getTime()).toBeLessThan(later.getTime() - 60_000);
  });

  it("bulk replay: a dry run shows the payloads and changes nothing; the real run requeues the same jobs", async () => {
    const a = await f.deadLetterEast();
    const b = await f.deadLetterEast();
    const body = { jobIds: [a.jobId, b.jobId] };
    const dry = await json<{
      dryRun: boolean;
      matched: number;
      items: { jobId: number; payload: { body: { externalRef: string } } }[];
    }>(await f.request(`${API}/failures/replay`, { method: "POST", token: ADMIN_TOKEN, body: JSON.stringify(body) }), 200);
    expect(dry).toMatchObject({ dryRun: true, matched: 2 });
    expect(dry.items.map((i) => i.payload.body.externalRef).sort()).toEqual([a.externalRef, b.externalRef].sort());
    expect((await jobState(a.jobId))?.state).toBe("dead");
    const run = await json<{ results: { ok: boolean }[] }>(
      await f.request(`${API}/failures/replay`, {
        method: "POST",
        token: ADMIN_TOKEN,
        body: JSON.stringify({ ...body, dryRun: false }),
      }),
      200,
    );
    expect(run.results.map((r) => r.ok)).toEqual([true, true]);
    expect((await jobState(b.jobId))?.state).toBe("pending");
    await f.settle();
    expect((await jobState(b.jobId))?.state).toBe("done");
    const missing = await f.request(`${API}/failures/replay`, {
      method: "POST",
      token: ADMIN_TOKEN,
      body: JSON.stringify({ dryRun: true }),
    });
    expect(missing.status).toBe(400);
    const broken = await f.request(`${API}/failures/replay`, { method: "POST", token: ADMIN_TOKEN, body: "{not json" });
    expect(broken.status).toBe(400);
  });

  it("bulk replay by filter re-drives what one cause parked", async () => {
    const a = await f.deadLetterEast();
    const dry = await json<{ items: { jobId: number }[] }>(
      await f.request(`${API}/failures/replay`, {
        method: "POST",
        token: ADMIN_TOKEN,
        body: JSON.stringify({ filter: { target: "contractor-east", errorCode: "target_rejected" } }),
      }),
      200,
    );
    expect(dry.items.map((i) => i.jobId)).toContain(a.jobId);
    const none = await json<{ matched: number }>(
      await f.request(`${API}/failures/replay`, {
        method: "POST",
        token: ADMIN_TOKEN,
        body: JSON.stringify({ filter: { target: "contractor-west" } }),
      }),
      200,
    );
    expect(none.matched).toBe(0);
  });

  it("skip parks a create with an explained reason and keeps the ledger balanced", async () => {
    const dead = await f.deadLetterEast();
    await json(
      await f.request(`${API}/failures/${dead.jobId}/skip`, {
        method: "POST",
        token: ADMIN_TOKEN,
        body: JSON.stringify({ note: "handled by phone" }),
      }),
      200,
    );
    expect((await jobState(dead.jobId))?.state).toBe("skipped");
    expect((await checkLedgerBalance(f.database)).violations).toEqual([]);
    expect(
      (await f.request(`${API}/failures/${dead.jobId}/skip`, { method: "POST", token: ADMIN_TOKEN, body: "{}" })).status,
    ).toBe(409);
  });

  it("acknowledge needs a note, stores note and expiry, and the overview counts it", async () => {
    const dead = await f.deadLetterEast();
    const path = `${API}/failures/${dead.jobId}/acknowledge`;
    expect((await f.request(path, { method: "POST", token: ADMIN_TOKEN, body: JSON.stringify({ note: "" }) })).status).toBe(400);
    expect(
      (await f.request(path, { method: "POST", token: ADMIN_TOKEN, body: JSON.stringify({ note: "x", until: "tomorrow" }) }))
        .status,
    ).toBe(400);
    const until = new Date(Date.now() + 86_400_000).toISOString();
    await json(
      await f.request(path, {
        method: "POST",
        token: ADMIN_TOKEN,
        body: JSON.stringify({ note: "known: contractor fixing their validation", until }),
      }),
      200,
    );
    const job = await jobState(dead.jobId);
    expect(job?.acknowledgeNote).toBe("known: contractor fixing their validation");
    expect(job?.acknowledgedUntil?.toISOString()).toBe(until);
    expect(job?.acknowledgedBy).toMatch(/^admin:[0-9a-f]{8}$/);
    const overview = await json<{ deadLetters: { target: string; acknowledged: number }[] }>(
      await f.request(`${API}/overview`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(overview.deadLetters.find((d) => d.target === "contractor-east")?.acknowledged).toBeGreaterThanOrEqual(1);
  });
});

describe("cases, quarantine, findings", () => {
  it("shows a case's timeline in both directions and 404 for an unknown case", async () => {
    const record = makeCase({ ...PLACES.west });
    await f.deliver(record);
    const view = await json<{ workOrders: { target: string; sla: { state: string } }[]; timeline: { direction: string }[] }>(
      await f.request(`${API}/cases/${record.serviceRequestId}`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(view.workOrders[0]).toMatchObject({ target: "contractor-west" });
    expect(new Set(view.timeline.map((t) => t.direction))).toEqual(
      new Set(["source_in", "internal", "target_out", "source_out"]),
    );
    expect((await f.request(`${API}/cases/nope`, { token: ADMIN_TOKEN })).status).toBe(404);
  });

  it("maps a quarantined code and re-drives the held event; refuses shipped codes and bad statuses", async () => {
    const record = makeCase({ ...PLACES.west });
    await f.deliver(record);
    const [link] = await f.database.db.select().from(links).where(eq(links.caseId, record.serviceRequestId));
    const ref = link?.externalRef ?? "";
    const posted = await f.request(`/api/contractor/v1/work-orders/${encodeURIComponent(ref)}/events`, {
      method: "POST",
      token: f.keys.west,
      headers: { "idempotency-key": `q-${ref}` },
      body: JSON.stringify({ status: "CREW_DISPATCHED", occurredAt: new Date().toISOString() }),
    });
    expect(posted.status).toBe(202);
    await f.settle();
    const held = await json<{ items: { target: string; code: string; events: number }[] }>(
      await f.request(`${API}/quarantine`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(held.items).toContainEqual(expect.objectContaining({ target: "contractor-west", code: "CREW_DISPATCHED", events: 1 }));

    const map = (body: object) =>
      f.request(`${API}/quarantine/mappings`, { method: "POST", token: ADMIN_TOKEN, body: JSON.stringify(body) });
    expect((await map({ target: "contractor-west", code: "IN_PROGRESS", canonical: "completed" })).status).toBe(400);
    expect((await map({ target: "contractor-west", code: "CREW_DISPATCHED", canonical: "pending" })).status).toBe(400);
    expect((await map({ target: "nobody", code: "CREW_DISPATCHED", canonical: "in_progress" })).status).toBe(400);
    expect((await map({ target: "contractor-west", code: "CREW_DISPATCHED", canonical: "bogus" })).status).toBe(400);
    const mapped = await json<{ ok: boolean; released: number; applied: Record<string, number> }>(
      await map({ target: "contractor-west", code: "CREW_DISPATCHED", canonical: "in_progress" }),
      200,
    );
    expect(mapped).toMatchObject({ ok: true, released: 1 });
    expect(mapped.applied.applied).toBe(1);
    const [after] = await f.database.db
      .select()
      .from(links)
      .where(eq(links.id, link?.id ?? -1));
    expect(after).toMatchObject({ fieldStatus: "in_progress", fieldStatusCode: "CREW_DISPATCHED" });
    const empty = await json<{ items: { code: string }[] }>(await f.request(`${API}/quarantine`, { token: ADMIN_TOKEN }), 200);
    expect(empty.items.map((i) => i.code)).not.toContain("CREW_DISPATCHED");
  });

  it("lists open reconciliation findings only", async () => {
    await f.database.db.insert(reconciliationFindings).values([
      { kind: "missing_in_target", subject: "helsinki:x:stara", suggestedAction: "re-send", target: "stara" },
      { kind: "stale", subject: "helsinki:y:stara", suggestedAction: "re-pull", target: "stara", state: "resolved" },
    ]);
    const findings = await json<{ items: { subject: string }[] }>(
      await f.request(`${API}/findings`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(findings.items.map((i) => i.subject)).toEqual(["helsinki:x:stara"]);
    const overview = await json<{ openFindings: { kind: string; n: number }[] }>(
      await f.request(`${API}/overview`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(overview.openFindings).toEqual([{ kind: "missing_in_target", n: 1 }]);
  });
});

describe("contractor keys", () => {
  it("issues a new key that works at once, revokes the old one, and never shows hashes", async () => {
    const issued = await json<{ id: number; key: string }>(
      await f.request(`${API}/contractors/contractor-east/keys`, {
        method: "POST",
        token: ADMIN_TOKEN,
        body: JSON.stringify({ label: "rotation" }),
      }),
      201,
    );
    const feed = (key: string) => f.request("/api/contractor/v1/work-orders", { token: key });
    expect((await feed(issued.key)).status).toBe(200);
    const listed = await json<{ items: { id: number; fingerprint: string }[] }>(
      await f.request(`${API}/contractors/contractor-east/keys`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(listed.items.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(listed)).not.toContain(sha256Hex(issued.key));
    const old = listed.items.find((k) => k.id !== issued.id);
    await json(
      await f.request(`${API}/contractors/contractor-east/keys/${old?.id}`, { method: "DELETE", token: ADMIN_TOKEN }),
      200,
    );
    expect((await feed(f.keys.east)).status).toBe(401);
    expect((await feed(issued.key)).status).toBe(200);
    f.keys.east = issued.key;
    expect(
      (await f.request(`${API}/contractors/contractor-east/keys/${old?.id}`, { method: "DELETE", token: ADMIN_TOKEN })).status,
    ).toBe(404);
    // A key id belongs to its contractor: west cannot be revoked through east's path.
    const westKeys = await json<{ items: { id: number }[] }>(
      await f.request(`${API}/contractors/contractor-west/keys`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(
      (
        await f.request(`${API}/contractors/contractor-east/keys/${westKeys.items[0]?.id}`, {
          method: "DELETE",
          token: ADMIN_TOKEN,
        })
      ).status,
    ).toBe(404);
    expect((await f.request(`${API}/contractors/stara/keys`, { method: "POST", token: ADMIN_TOKEN, body: "{}" })).status).toBe(
      404,
    );
  });
});

describe("targets", () => {
  it("pauses and resumes a target through the API and the console; the banner says paused on every console page", async () => {
    const listed = await json<{ items: { target: string; state: string }[] }>(
      await f.request(`${API}/targets`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(listed.items.map((t) => t.target)).toEqual(
      expect.arrayContaining(["contractor-east", "contractor-west", "stara", "case-system"]),
    );
    const paused = await f.request(`${API}/targets/contractor-west/pause`, {
      method: "POST",
      token: ADMIN_TOKEN,
      body: JSON.stringify({ reason: "ERP upgrade until Monday", until: new Date(Date.now() + 3_600_000).toISOString() }),
    });
    expect(await json(paused, 200)).toMatchObject({ ok: true, result: "paused" });
    const again = await json<{ items: { target: string; state: string; pause: { reason: string } | null }[] }>(
      await f.request(`${API}/targets`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(again.items.find((t) => t.target === "contractor-west")).toMatchObject({
      state: "paused",
      pause: { reason: "ERP upgrade until Monday" },
    });
    const pastEnd = await f.request(`${API}/targets/stara/pause`, {
      method: "POST",
      token: ADMIN_TOKEN,
      body: JSON.stringify({ reason: "x", until: "2020-01-01T00:00:00Z" }),
    });
    expect(pastEnd.status).toBe(409);
    expect(
      (await f.request(`${API}/targets/nobody/pause`, { method: "POST", token: ADMIN_TOKEN, body: '{"reason":"x"}' })).status,
    ).toBe(404);

    const cookie = await f.consoleLogin();
    for (const page of ["/admin", "/admin/failures", "/admin/targets"]) {
      const text = await (await f.request(page, { headers: { cookie } })).text();
      expect(text, page).toMatch(/data-target="contractor-west" data-state="paused"/);
      expect(text, page).toContain("ERP upgrade until Monday");
    }
    const csrf =
      /name="_csrf" value="([^"]+)"/.exec(await (await f.request("/admin/targets", { headers: { cookie } })).text())?.[1] ?? "";
    const resumed = await f.request("/admin/targets/contractor-west/resume", {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(resumed.status).toBe(303);
    expect(decodeURIComponent(resumed.headers.get("location") ?? "")).toMatch(/done=contractor-west resumed/);
    const after = await (await f.request("/admin/targets", { headers: { cookie } })).text();
    expect(after).not.toMatch(/data-state="paused"/);
    expect((await f.request(`${API}/targets/contractor-west/resume`, { method: "POST", token: ADMIN_TOKEN })).status).toBe(409);
  });
});

describe("audit", () => {
  it("every action above left an audit row, chained by hash", async () => {
    const rows = await f.database.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
    const actions = new Set(rows.map((r) => r.action));
    for (const action of [
      "job.replay",
      "job.retry",
      "job.skip",
      "job.acknowledge",
      "job.replay_dry_run",
      "quarantine.map",
      "contractor_key.issue",
      "contractor_key.revoke",
      "target.pause",
      "target.resume",
    ]) {
      expect(actions, action).toContain(action);
    }
    // The chain itself is tested in test/security/audit-chain.test.ts.
    const verified = await verifyAuditChain(f.database);
    expect(verified.problem).toBeNull();
    expect(verified.rows).toBe(rows.length);
    const listed = await json<{ items: { action: string }[] }>(
      await f.request(`${API}/audit?subject=contractor:contractor-east`, { token: ADMIN_TOKEN }),
      200,
    );
    expect(listed.items.map((i) => i.action)).toEqual(expect.arrayContaining(["contractor_key.issue", "contractor_key.revoke"]));
    const refused = await f.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "job.replay"), eq(auditEvents.result, "not_applicable")));
    expect(refused.length).toBeGreaterThan(0);
  });
});
