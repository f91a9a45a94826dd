import { count, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpen311CaseSystem } from "../../adapters/open311/client.ts";
import { createCasePusher } from "../../adapters/open311/simulator/case-pusher.ts";
import { createHelsinkiSimulator } from "../../adapters/open311/simulator/helsinki-simulator.ts";
import { cases } from "../../src/db/schema/index.ts";
import { ingestCases } from "../../src/domain/intake/ingest.ts";
import { createApp } from "../../src/http/app.ts";
import { generateWebhookSecret } from "../../src/lib/webhook-signature.ts";
import { type RunningServer, startHttpServer } from "../../src/runtime/node-serve.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { makeDeps } from "../support/deps.ts";
import { FakeWorkOrderSystem } from "../support/fakes.ts";

/**
 * The Helsinki simulator's push mode against Silta over real HTTP: generated, closed and
 * withdrawn cases arrive without any poll, in the form the list endpoint serves them.
 */
const secret = generateWebhookSecret();
let database: TestDatabase;
let silta: RunningServer;
let queued = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  const caseSystem = createOpen311CaseSystem({ baseUrl: "http://127.0.0.1:9", pushSecrets: [secret] });
  const targets = ["stara", "contractor-east", "contractor-west"].map((id) => new FakeWorkOrderSystem(id));
  const app = createApp(makeDeps(database, caseSystem, targets), {
    onCasesQueued: () => {
      queued++;
    },
  });
  silta = await startHttpServer(app);
}, 60_000);
afterAll(async () => {
  await silta?.close();
  await database?.dispose();
});

describe("Helsinki simulator in push mode", () => {
  it("pushes generated cases and a later withdrawal; Silta stores what the list would have served", async () => {
    const sim = createHelsinkiSimulator({ seed: 5, push: { url: `${silta.url}/intake/open311`, secrets: [secret] } });
    const generated = sim.generateCases(30, { from: Date.now() - 60_000, to: Date.now(), fieldStatusWeights: [["RECEIVED", 1]] });
    await sim.drainPushes();
    const ids = generated.map((g) => String(g.record.service_request_id));
    const stored = await database.db.select({ id: cases.id, status: cases.status }).from(cases).where(inArray(cases.id, ids));
    expect(stored).toHaveLength(30);
    expect(sim.state().push).toMatchObject({ records: 30, gaveUpRecords: 0 });
    expect(queued).toBeGreaterThan(0);

    // The poll's safety-net read of the same cases finds every one unchanged (same content hash).
    const simServer = await startHttpServer(sim.app);
    try {
      const reader = createOpen311CaseSystem({ baseUrl: simServer.url });
      const listed = await reader.listChangedCases(new Date(Date.now() - 86_400_000), new Date(Date.now() + 60_000));
      expect(listed.length).toBeGreaterThanOrEqual(30);
      const summary = await ingestCases(makeDeps(database, reader, []), listed);
      expect(summary).toMatchObject({ new: listed.length - 30, updated: 0, unchanged: 30 });
    } finally {
      await simServer.close();
    }

    const [first] = ids;
    if (!first) throw new Error("no case generated");
    sim.cancelCase(first, "withdrawn");
    await sim.drainPushes();
    const [row] = await database.db
      .select()
      .from(cases)
      .where(inArray(cases.id, [first]));
    expect(row?.status).toBe("closed");
    expect(row?.deskStatus).toBe("REJECTED");
  });

  it("cases held in moderation are not pushed (the poll finds them once published)", async () => {
    const sim = createHelsinkiSimulator({
      seed: 6,
      moderationDelayMs: 60_000,
      push: { url: `${silta.url}/intake/open311`, secrets: [secret] },
    });
    const before = (await database.db.select({ n: count() }).from(cases))[0]?.n;
    const [generated] = sim.generateCases(1);
    if (!generated) throw new Error("no case generated");
    sim.addCase({ ...generated.record, service_request_id: "2026-moderated-1" }, { published: false });
    await sim.drainPushes();
    expect(sim.state().push.records).toBe(1);
    expect((await database.db.select({ n: count() }).from(cases))[0]?.n).toBe((before ?? 0) + 1);
  });

  it("gives up after its retries when Silta refuses, and counts what only the poll will find", async () => {
    const pusher = createCasePusher({ url: `${silta.url}/intake/open311`, secrets: [generateWebhookSecret()], retries: 1 });
    const sim = createHelsinkiSimulator({ seed: 7 });
    const [generated] = sim.generateCases(1);
    if (!generated) throw new Error("no case generated");
    pusher.queue(generated.record);
    pusher.queue(generated.record);
    await pusher.drain();
    expect(pusher.stats).toMatchObject({ records: 2, delivered: 0, failedAttempts: 2, gaveUpRecords: 2 });
  });
});
