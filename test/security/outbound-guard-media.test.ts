import { describe, expect, it } from "vitest";
import { buildWorkOrderPayload } from "../../src/domain/work-order-payload.ts";
import { mediaPolicy } from "../../src/lib/outbound-guard.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import type { TargetMapping } from "../../src/mappings/mappings.ts";
import { createNodeMetrics } from "../../src/runtime/metrics-node.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { makeCase } from "../support/fakes.ts";

/** Media URLs in work orders (S5): contractors fetch them, so only the city's https attachments go out. */

const mappings = loadMappingsFromDir(MAPPINGS_DIR);
const stara = mappings.targets.get("stara") as TargetMapping;

const CITY = "https://asiointi.hel.fi/palautews/rest/v1/attachment/2hj4co0hnsd7tld7elc7.jpg";
const HOSTILE = [
  "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
  "https://127.0.0.1/admin",
  "http://asiointi.hel.fi/palautews/rest/v1/attachment/plain-http.jpg",
  "https://asiointi.hel.fi.attacker.example/x.jpg",
  "https://user:pass@asiointi.hel.fi/x.jpg",
  "file:///etc/passwd",
  "gopher://127.0.0.1:6379/_FLUSHALL",
];

describe("media URLs in work-order payloads", () => {
  it("forwards only https URLs on the allowed hosts and counts the rest per target", () => {
    expect(stara.allowlist.has("mediaUrls")).toBe(true);
    const dropped: [string, number][] = [];
    const payload = buildWorkOrderPayload(makeCase({ mediaUrls: [CITY, ...HOSTILE] }), stara, "helsinki:1:stara", {
      policy: mediaPolicy(),
      onDropped: (target, count) => dropped.push([target, count]),
    });
    expect(payload.mediaUrls).toEqual([CITY]);
    expect(dropped).toEqual([["stara", HOSTILE.length]]);
  });

  it("applies the default (asiointi.hel.fi only) when no filter is passed", () => {
    const payload = buildWorkOrderPayload(makeCase({ mediaUrls: [CITY, ...HOSTILE] }), stara, "helsinki:1:stara");
    expect(payload.mediaUrls).toEqual([CITY]);
  });

  it("follows SILTA_MEDIA_HOSTS, and counts nothing when nothing is dropped", () => {
    const dropped: number[] = [];
    const other = "https://kuvat.hel.fi/a.jpg";
    const payload = buildWorkOrderPayload(makeCase({ mediaUrls: [CITY, other] }), stara, "helsinki:1:stara", {
      policy: mediaPolicy(["asiointi.hel.fi", "*.hel.fi"]),
      onDropped: (_target, count) => dropped.push(count),
    });
    expect(payload.mediaUrls).toEqual([CITY, other]);
    expect(dropped).toEqual([]);
  });

  it("reports drops as a Prometheus counter labelled by target only, with no URL text", async () => {
    const { metrics, render } = createNodeMetrics(null);
    buildWorkOrderPayload(makeCase({ mediaUrls: HOSTILE }), stara, "helsinki:1:stara", {
      policy: mediaPolicy(),
      onDropped: (target, count) => metrics.mediaUrlsDropped?.({ target, count }),
    });
    const { body } = await render();
    expect(body).toContain(`silta_media_urls_dropped_total{target="stara"} ${HOSTILE.length}`);
    expect(body).not.toMatch(/169\.254|attacker|passwd|asiointi/);
  });
});
