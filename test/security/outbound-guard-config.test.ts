import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/config.ts";
import { targetPolicy } from "../../src/lib/outbound-guard.ts";
import { urlCheckedFetchFactory } from "../../src/runtime/targets.ts";

const TARGETS = [
  { id: "stara", kind: "stara" },
  { id: "contractor-east", kind: "contractor-api" },
] as const;
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PUBLIC = {
  SILTA_OPEN311_URL: "https://asiointi.hel.fi/palautews/rest/v1",
  SILTA_TARGET_STARA_URL: "https://api.stara.example",
  SILTA_TARGET_STARA_TOKEN: "t",
  SILTA_TARGET_STARA_WEBHOOK_SECRETS: SECRET,
  SILTA_TARGET_CONTRACTOR_EAST_URL: "https://erp.contractor.example/silta",
  SILTA_TARGET_CONTRACTOR_EAST_WEBHOOK_SECRETS: SECRET,
};

function problems(env: Record<string, string>): string {
  try {
    parseConfig(env, TARGETS);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("the configuration was accepted");
}

describe("outbound guard settings (S5)", () => {
  it("accepts public https targets; private addresses are refused by default", () => {
    const config = parseConfig(PUBLIC, TARGETS);
    expect(config.targets.stara?.allowPrivate).toBe(false);
    expect(config.mediaHosts).toEqual(["asiointi.hel.fi"]);
  });

  it.each([
    [
      "SILTA_TARGET_STARA_URL",
      "http://127.0.0.1:9001",
      /SILTA_TARGET_STARA_URL: refused \(scheme http:.*SILTA_TARGET_STARA_ALLOW_PRIVATE=true/,
    ],
    ["SILTA_TARGET_STARA_URL", "https://127.0.0.1:9001", /SILTA_TARGET_STARA_URL: refused \(address is loopback\)/],
    ["SILTA_TARGET_STARA_URL", "https://169.254.169.254/", /SILTA_TARGET_STARA_URL: refused \(address is linkLocal\)/],
    ["SILTA_TARGET_CONTRACTOR_EAST_URL", "https://0x7f.1/silta", /CONTRACTOR_EAST_URL: refused \(address is loopback\)/],
    ["SILTA_TARGET_CONTRACTOR_EAST_URL", "https://stara.internal/", /CONTRACTOR_EAST_URL: refused \(host is an internal name\)/],
    ["SILTA_TARGET_CONTRACTOR_EAST_URL", "https://u:p@erp.example/", /CONTRACTOR_EAST_URL: refused \(credentials/],
    ["SILTA_TARGET_CONTRACTOR_EAST_URL", "http://erp.contractor.example/", /CONTRACTOR_EAST_URL: refused \(scheme http:/],
    ["SILTA_TARGET_STARA_ALLOW_PRIVATE", "yes", /SILTA_TARGET_STARA_ALLOW_PRIVATE: expected true or false/],
    ["SILTA_MEDIA_HOSTS", "https://asiointi.hel.fi", /SILTA_MEDIA_HOSTS\.0: each host must be a name/],
    ["SILTA_MEDIA_HOSTS", "*", /SILTA_MEDIA_HOSTS\.0: each host must be a name/],
  ])("refuses %s=%s at start, naming the setting", (name, value, expected) => {
    expect(problems({ ...PUBLIC, [name]: value })).toMatch(expected);
  });

  it("lets the operator opt one target into loopback or a private network", () => {
    const config = parseConfig(
      { ...PUBLIC, SILTA_TARGET_STARA_URL: "http://10.20.0.5:8080", SILTA_TARGET_STARA_ALLOW_PRIVATE: "true" },
      TARGETS,
    );
    expect(config.targets.stara).toMatchObject({ url: "http://10.20.0.5:8080", allowPrivate: true });
    expect(config.targets["contractor-east"]?.allowPrivate).toBe(false);
    // The opt-in is per target: the other one still may not point there.
    expect(problems({ ...PUBLIC, SILTA_TARGET_CONTRACTOR_EAST_URL: "http://10.20.0.5:8080" })).toMatch(
      /CONTRACTOR_EAST_URL: refused/,
    );
  });

  it("reads the media hosts", () => {
    expect(parseConfig({ ...PUBLIC, SILTA_MEDIA_HOSTS: "asiointi.hel.fi, *.hel.fi" }, TARGETS).mediaHosts).toEqual([
      "asiointi.hel.fi",
      "*.hel.fi",
    ]);
  });

  it("checks URLs on every call where names cannot be resolved (the Worker's fetch)", async () => {
    const send = urlCheckedFetchFactory("stara", targetPolicy("https://api.stara.example", false), 1_000);
    await expect(send(new Request("https://169.254.169.254/latest/meta-data/"))).rejects.toMatchObject({
      code: "outbound_refused",
    });
    await expect(send(new Request("https://other.example/"))).rejects.toMatchObject({ code: "outbound_refused" });
  });
});
