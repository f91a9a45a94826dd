import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/config.ts";

const TARGETS = [
  { id: "stara", kind: "stara" },
  { id: "contractor-east", kind: "contractor-api" },
] as const;
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const COMPLETE = {
  SILTA_OPEN311_URL: "http://127.0.0.1:9000",
  SILTA_TARGET_STARA_URL: "http://127.0.0.1:9001",
  SILTA_TARGET_STARA_TOKEN: "t",
  SILTA_TARGET_STARA_WEBHOOK_SECRETS: SECRET,
  SILTA_TARGET_CONTRACTOR_EAST_URL: "http://127.0.0.1:9002/silta",
  SILTA_TARGET_CONTRACTOR_EAST_WEBHOOK_SECRETS: `${SECRET}, ${SECRET}`,
  // Loopback targets need the operator's opt-in (S5; test/security/outbound-guard-config.test.ts).
  SILTA_TARGET_STARA_ALLOW_PRIVATE: "true",
  SILTA_TARGET_CONTRACTOR_EAST_ALLOW_PRIVATE: "true",
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

describe("parseConfig", () => {
  it("defaults to the embedded database and sensible schedules", () => {
    const config = parseConfig(COMPLETE, TARGETS);
    expect(config).toMatchObject({
      database: { dataDir: ".silta/data" },
      port: 8080,
      pollCron: "*/30 * * * * *",
      retryHorizonMs: 72 * 3_600_000,
    });
    expect(config.targets["contractor-east"]?.webhookSecrets).toEqual([SECRET, SECRET]);
    // Push intake is off until the city's signing secrets are set.
    expect(config.open311.pushSecrets).toEqual([]);
    expect(parseConfig({ ...COMPLETE, SILTA_OPEN311_PUSH_SECRETS: SECRET }, TARGETS).open311.pushSecrets).toEqual([SECRET]);
  });

  it("uses the server when DATABASE_URL is set", () => {
    expect(parseConfig({ ...COMPLETE, DATABASE_URL: "postgres://u@h:5432/d" }, TARGETS).database).toEqual({
      url: "postgres://u@h:5432/d",
    });
  });

  it.each([
    ["SILTA_PORT", "http", /SILTA_PORT: .*number/],
    ["SILTA_PORT", "70000", /SILTA_PORT: .*65535/],
    ["SILTA_OPEN311_URL", "asiointi.hel.fi", /SILTA_OPEN311_URL: /],
    ["DATABASE_URL", "mysql://x", /DATABASE_URL: expected postgres:\/\//],
    ["SILTA_LOG_LEVEL", "loud", /SILTA_LOG_LEVEL: .*"debug"/],
    ["SILTA_ADMIN_TOKENS", "short", /SILTA_ADMIN_TOKENS.*: each admin token must be at least 24 characters/],
    [
      "SILTA_HANDLER_TOKENS",
      `${"h".repeat(30)},tiny`,
      /SILTA_HANDLER_TOKENS.*: each handler token must be at least 24 characters/,
    ],
    ["SILTA_TARGET_STARA_WEBHOOK_SECRETS", "hunter2", /SILTA_TARGET_STARA_WEBHOOK_SECRETS: each secret must look like whsec_/],
    ["SILTA_OPEN311_PUSH_SECRETS", `${SECRET},hunter2`, /SILTA_OPEN311_PUSH_SECRETS.*: each secret must look like whsec_/],
  ])("names %s=%s and what is allowed", (name, value, message) => {
    expect(problems({ ...COMPLETE, [name]: value })).toMatch(message);
  });

  it("refuses an HTTP timeout that does not fit well inside the lease", () => {
    expect(problems({ ...COMPLETE, SILTA_HTTP_TIMEOUT_MS: "40000", SILTA_LEASE_SECONDS: "60" })).toMatch(
      /SILTA_HTTP_TIMEOUT_MS: 40000 ms must be at most half of SILTA_LEASE_SECONDS/,
    );
  });

  it("takes the late-answer alarm webhook only with its signing secrets", () => {
    const url = "https://alerts.example.fi/silta";
    expect(
      parseConfig({ ...COMPLETE, SILTA_ALARM_WEBHOOK_URL: url, SILTA_ALARM_WEBHOOK_SECRETS: SECRET }, TARGETS).alarmWebhook,
    ).toEqual({
      url,
      secrets: [SECRET],
    });
    expect(parseConfig(COMPLETE, TARGETS).alarmWebhook).toBeUndefined();
    expect(problems({ ...COMPLETE, SILTA_ALARM_WEBHOOK_URL: url })).toMatch(
      /SILTA_ALARM_WEBHOOK_URL and SILTA_ALARM_WEBHOOK_SECRETS go together/,
    );
  });

  it("sends alerts by e-mail only through a configured SMTP server, which fallback work orders use too", () => {
    const smtp = { SILTA_SMTP_URL: "smtp://mail.hel.fi:587", SILTA_SMTP_FROM: "silta@hel.fi" };
    const config = parseConfig({ ...COMPLETE, ...smtp, SILTA_ALERT_EMAIL_TO: "ops@hel.fi, duty@hel.fi" }, TARGETS);
    expect(config.smtp).toEqual({ url: "smtp://mail.hel.fi:587", from: "silta@hel.fi" });
    expect(config.alerts.email).toEqual({
      smtpUrl: "smtp://mail.hel.fi:587",
      from: "silta@hel.fi",
      to: ["ops@hel.fi", "duty@hel.fi"],
    });
    expect(problems({ ...COMPLETE, SILTA_ALERT_EMAIL_TO: "ops@hel.fi" })).toMatch(/SILTA_ALERT_EMAIL_TO needs SILTA_SMTP_URL/);
    expect(problems({ ...COMPLETE, SILTA_SMTP_URL: "http://mail.hel.fi" })).toMatch(/SILTA_SMTP_URL/);
  });

  it("lists every problem at once, including missing target connections", () => {
    const { SILTA_TARGET_STARA_TOKEN: _token, SILTA_TARGET_CONTRACTOR_EAST_URL: _url, ...incomplete } = COMPLETE;
    const message = problems({ ...incomplete, SILTA_PORT: "-1" });
    expect(message).toContain("3 problem(s)");
    expect(message).toContain('SILTA_TARGET_STARA_TOKEN: required for target "stara"');
    expect(message).toContain('SILTA_TARGET_CONTRACTOR_EAST_URL: required for target "contractor-east"');
    expect(message).toContain("SILTA_PORT");
  });
});
