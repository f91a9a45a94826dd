import { afterEach, describe, expect, it } from "vitest";
import { toProtocolWorkOrder } from "../../adapters/contractor-api/protocol.ts";
import { createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import { fitText, STARA_CREATE_LIMITS, toStaraCreateBody } from "../../adapters/stara/payload.ts";
import { type RunningStaraSimulator, startStaraSimulator } from "../../adapters/stara/simulator/serve.ts";
import { buildWorkOrderPayload } from "../../src/domain/work-order-payload.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import type { WorkOrderPayload } from "../../src/ports/work-order-system.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { makeCase } from "../support/fakes.ts";

const TOKEN = "payload-test-token";

/** Every text at Open311's own cap of 5,000 characters, well past most of Stara's limits. */
function oversized(): WorkOrderPayload {
  const long = (word: string) => `${word} `.repeat(1000).slice(0, 5000);
  return {
    externalRef: "helsinki:2026-099999:stara",
    serviceRequestId: "2026-099999",
    serviceCode: "171",
    serviceName: long("Katujen kunnossapito"),
    title: long("Kuoppa"),
    description: `${long("Syvä kuoppa")}x`.slice(0, 5000),
    address: long("Mannerheimintie 1"),
    lat: 60.1699,
    long: 24.9384,
    mediaUrls: [
      "https://asiointi.hel.fi/palautews/rest/v1/attachment/3mb9h1hvga1r35e67o5e.jpg",
      `https://example.org/${"a".repeat(2100)}.jpg`,
    ],
    requestedAt: "2026-03-01T10:00:00Z",
    reporterName: long("Matti Meikäläinen"),
    reporterEmail: `${"m".repeat(300)}@example.org`,
    reporterPhone: "+358 40 123 4567 ".repeat(10),
  };
}

describe("toStaraCreateBody within Stara's limits", () => {
  it("shortens a 5,000-character title to at most 200 characters ending in an ellipsis", () => {
    const body = toStaraCreateBody(oversized());
    expect(body.otsikko?.length).toBeLessThanOrEqual(200);
    expect(body.otsikko?.endsWith("…")).toBe(true);
    expect(body.otsikko?.startsWith("Kuoppa Kuoppa")).toBe(true);
  });

  it("shortens every text field to its limit and drops a media URL too long to send", () => {
    const body = toStaraCreateBody(oversized());
    expect(body.palvelun_nimi?.length).toBeLessThanOrEqual(STARA_CREATE_LIMITS.palvelun_nimi);
    expect(body.kuvaus).toHaveLength(5000);
    expect(body.osoite?.length).toBeLessThanOrEqual(STARA_CREATE_LIMITS.osoite);
    expect(body.osoite?.endsWith("…")).toBe(true);
    expect(body.liitteet).toEqual(["https://asiointi.hel.fi/palautews/rest/v1/attachment/3mb9h1hvga1r35e67o5e.jpg"]);
    expect(body.ilmoittaja?.nimi?.length).toBeLessThanOrEqual(STARA_CREATE_LIMITS.ilmoittaja_nimi);
    expect(body.ilmoittaja?.sahkoposti?.length).toBeLessThanOrEqual(STARA_CREATE_LIMITS.ilmoittaja_sahkoposti);
    expect(body.ilmoittaja?.puhelin?.length).toBeLessThanOrEqual(STARA_CREATE_LIMITS.ilmoittaja_puhelin);
    // The ids are never cut.
    expect(body.ulkoinen_viite).toBe("helsinki:2026-099999:stara");
    expect(body.palautteen_tunnus).toBe("2026-099999");
  });

  it("sends at most 20 media URLs", () => {
    const urls = Array.from({ length: 25 }, (_, i) => `https://example.org/${i}.jpg`);
    const body = toStaraCreateBody({ ...oversized(), mediaUrls: urls });
    expect(body.liitteet).toEqual(urls.slice(0, 20));
  });

  it("leaves texts that fit as they are", () => {
    const order: WorkOrderPayload = {
      externalRef: "helsinki:1:stara",
      serviceRequestId: "1",
      serviceCode: "171",
      title: "x".repeat(200),
      description: "",
    };
    const body = toStaraCreateBody(order);
    expect(body.otsikko).toBe("x".repeat(200));
    expect(body.kuvaus).toBe("");
  });

  it("never splits a surrogate pair", () => {
    const cut = fitText(`${"a".repeat(198)}😀😀`, 200);
    expect(cut).toBe(`${"a".repeat(198)}…`);
    expect(cut.isWellFormed()).toBe(true);
    expect(fitText("😀".repeat(150), 200)).toHaveLength(199);
    expect(fitText("😀".repeat(150), 200).isWellFormed()).toBe(true);
  });
});

describe("a create with long texts against the Stara simulator", () => {
  let stara: RunningStaraSimulator | undefined;

  afterEach(async () => {
    await stara?.close();
    stara = undefined;
  });

  it("is accepted, not refused with 422", async () => {
    stara = await startStaraSimulator({ seed: 7, token: TOKEN, progress: { minDelayMs: 60_000, maxDelayMs: 60_000 } });
    const client = createStaraWorkOrderSystem({ targetId: "stara", baseUrl: stara.url, token: TOKEN, webhookSecrets: [] });
    const created = await client.createWorkOrder(oversized(), "helsinki:2026-099999:stara");
    expect(created.externalRef).toBe("helsinki:2026-099999:stara");
    const stored = stara.sim.store.all();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.otsikko?.length).toBeLessThanOrEqual(200);
    expect(stored[0]?.otsikko?.endsWith("…")).toBe(true);
  });
});

describe("a rework's link to the earlier work order", () => {
  const base = { serviceRequestId: "2026-1", serviceCode: "171" };

  it("goes to Stara as edellinen_viite and to contractors as previousWorkOrderId; a first order carries neither", () => {
    const rework: WorkOrderPayload = {
      ...base,
      externalRef: "helsinki:2026-1:stara:r2",
      previousExternalRef: "helsinki:2026-1:stara",
    };
    expect(toStaraCreateBody(rework).edellinen_viite).toBe("helsinki:2026-1:stara");
    expect(toProtocolWorkOrder(rework).previousWorkOrderId).toBe("helsinki:2026-1:stara");
    const first: WorkOrderPayload = { ...base, externalRef: "helsinki:2026-1:stara" };
    expect(toStaraCreateBody(first)).not.toHaveProperty("edellinen_viite");
    expect(toProtocolWorkOrder(first)).not.toHaveProperty("previousWorkOrderId");
  });

  it("is derived from the reference: round 3 names round 2, round 2 names the first order", () => {
    const target = loadMappingsFromDir(MAPPINGS_DIR).targets.get("stara");
    if (!target) throw new Error("stara");
    const record = makeCase({ serviceRequestId: "2026-1" });
    expect(buildWorkOrderPayload(record, target, "helsinki:2026-1:stara:r3").previousExternalRef).toBe(
      "helsinki:2026-1:stara:r2",
    );
    expect(buildWorkOrderPayload(record, target, "helsinki:2026-1:stara:r2").previousExternalRef).toBe("helsinki:2026-1:stara");
    expect(buildWorkOrderPayload(record, target, "helsinki:2026-1:stara")).not.toHaveProperty("previousExternalRef");
  });
});
