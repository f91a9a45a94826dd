import { z } from "zod";
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from "../kernel/rate-limits.ts";
import { checkOutboundUrl, DEFAULT_MEDIA_HOSTS, targetPolicy } from "../lib/outbound-guard.ts";
import { isProxyEntry, type TrustedProxies } from "../lib/trusted-proxy.ts";
import { type IntakeSource, SOURCE_PROFILES, type SourceProfile } from "../ports/source-profile.ts";

/** A configuration value was wrong: names the setting and what is allowed. Start-up stops. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A comma-separated setting as a list of its trimmed, non-empty items. */
const commaSeparated = z.string().transform((value) =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

const secretList = commaSeparated.pipe(
  z.array(z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, "each secret must look like whsec_<base64>")).min(1),
);

const cronExpression = z
  .string()
  .regex(/^(\S+\s+){4,5}\S+$/, "expected a cron expression with 5 or 6 fields, e.g. */30 * * * * *");

/** A comma-separated list of bearer tokens, each long enough not to be guessed. */
function tokenList(kind: string) {
  return commaSeparated.pipe(z.array(z.string().min(24, `each ${kind} token must be at least 24 characters`)));
}

const PROXY_LIST = "expected true, false, or the proxies' IP addresses or CIDR ranges, comma-separated (10.0.0.5,fd00::/8)";

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, "expected postgres://user@host:port/database");

/** Environment settings and the defaults that make a first run work with nothing set. */
const envSchema = z.object({
  DATABASE_URL: postgresUrl.optional(),
  /**
   * The database owner's postgres:// URL, for `silta db grant-app-role` (the role that ran the
   * migrations, when DATABASE_URL is the application role's); unset: DATABASE_URL.
   */
  SILTA_MIGRATION_DATABASE_URL: postgresUrl.optional(),
  SILTA_DATA_DIR: z.string().min(1).default(".silta/data"),
  SILTA_HOST: z.string().min(1).default("127.0.0.1"),
  SILTA_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  SILTA_PUBLIC_URL: z.url().optional(),
  SILTA_MAPPINGS_DIR: z.string().min(1).default("mappings"),
  SILTA_OPEN311_URL: z.url(),
  /** Largest photo the field may send, in bytes (default 10 MiB). */
  SILTA_PHOTO_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  /** An S3-compatible bucket (AWS S3, Cloudflare R2) for photos; unset: photos rest in the database. */
  SILTA_PHOTO_S3_ENDPOINT: z.url().optional(),
  SILTA_PHOTO_S3_BUCKET: z.string().min(1).optional(),
  SILTA_PHOTO_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  SILTA_PHOTO_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  SILTA_PHOTO_S3_REGION: z.string().min(1).default("auto"),
  /** The SMTP server Silta sends e-mail through (alerts, fallback work orders): `smtp://user:pass@host:587`, `smtps://…`. */
  SILTA_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "an smtp:// or smtps:// URL")
    .optional(),
  SILTA_SMTP_FROM: z.email().default("silta@localhost.localdomain"),
  /** Who gets operational alerts by e-mail (needs SILTA_SMTP_URL). */
  SILTA_ALERT_EMAIL_TO: commaSeparated.pipe(z.array(z.email()).min(1)).optional(),
  /** Operational alerts as a signed webhook (chat relays take it), with its whsec_ secrets. */
  SILTA_ALERT_WEBHOOK_URL: z.url().optional(),
  SILTA_ALERT_WEBHOOK_SECRETS: secretList.optional(),
  /** Unacknowledged dead letters above this many raise an alert. */
  SILTA_ALERT_DEAD_LETTERS: z.coerce.number().int().min(0).default(10),
  /** At most this many alert notices per hour (the rest wait). */
  SILTA_ALERT_MAX_PER_HOUR: z.coerce.number().int().min(1).default(30),
  SILTA_ALERT_CRON: cronExpression.default("15 * * * * *"),
  /** Where late-answer alarms are posted as signed webhooks; unset: alarms show in the console, the case page and metrics only. */
  SILTA_ALARM_WEBHOOK_URL: z.url().optional(),
  /** Secrets the alarm webhook is signed with (whsec_…, comma-separated); required with the URL. */
  SILTA_ALARM_WEBHOOK_SECRETS: secretList.optional(),
  SILTA_OPEN311_API_KEY: z.string().min(1).optional(),
  /** Secrets the city's system signs pushed cases with (POST /intake/open311); unset: push intake is off. */
  SILTA_OPEN311_PUSH_SECRETS: secretList.optional(),
  /** What the Open311 server does (adapters' source profiles): helsinki (default) or generic GeoReport v2. */
  SILTA_OPEN311_PROFILE: z.enum(["helsinki", "generic"]).default("helsinki"),
  /** Overrides of the profile, each optional. */
  SILTA_OPEN311_PAGING: z.enum(["auto", "page", "none"]).optional(),
  SILTA_OPEN311_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).optional(),
  SILTA_OPEN311_LIST_CAP: z.union([z.literal("learn"), z.coerce.number().int().min(1).max(100_000)]).optional(),
  SILTA_OPEN311_WRITE_BACK: z.enum(["probe", "on", "off"]).optional(),
  SILTA_OPEN311_CLOSED_MEANS: z.enum(["forwarded", "resolved"]).optional(),
  SILTA_OPEN311_DETAILED_STATUS: z.enum(["extended_attributes", "none"]).optional(),
  SILTA_OPEN311_UPDATED_TIME_MOVES: z.enum(["true", "false"]).optional(),
  SILTA_OPEN311_MAX_WINDOW_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
  /** Where Silta sees every case, published or not; default: push when push secrets are set, else keyed-list with a key, else public-list. */
  SILTA_OPEN311_INTAKE: z.enum(["push", "keyed-list", "public-list"]).optional(),
  SILTA_POLL_CRON: cronExpression.default("*/30 * * * * *"),
  /** The anti-entropy re-read of the source's whole set; default nightly (hourly where update times do not move). */
  SILTA_ANTI_ENTROPY_CRON: cronExpression.optional(),
  /** How far back the re-read reaches; default the retention period. */
  SILTA_ANTI_ENTROPY_DAYS: z.coerce.number().int().min(1).max(3650).optional(),
  /** How far back the re-read also reads the cases still open (older than SILTA_ANTI_ENTROPY_DAYS). */
  SILTA_ANTI_ENTROPY_OPEN_DAYS: z.coerce.number().int().min(1).max(3650).default(730),
  /** Pause between the re-read's list calls. */
  SILTA_ANTI_ENTROPY_CALL_GAP_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /** Readiness fails and the console warns when no poll has succeeded for this long. */
  SILTA_INTAKE_STALE_MINUTES: z.coerce.number().positive().max(10_080).default(15),
  SILTA_POLL_LOOKBACK_HOURS: z.coerce.number().positive().max(2160).default(24),
  SILTA_WORKER_IDLE_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Cloudflare Worker: how long a scheduled run keeps applying events and running jobs (a request's kick gets half). */
  SILTA_WORKER_TIME_BUDGET_MS: z.coerce.number().int().min(1_000).max(600_000).default(20_000),
  SILTA_RETRY_HORIZON_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(72),
  SILTA_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  SILTA_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  SILTA_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  SILTA_RECONCILE_CRON: cronExpression.default("0 */15 * * * *"),
  /** Bearer tokens for the admin console and API, comma-separated (several during a rotation). */
  SILTA_ADMIN_TOKENS: tokenList("admin").optional(),
  /** Read-only tokens for case handlers' field-status pages, comma-separated. */
  SILTA_HANDLER_TOKENS: tokenList("handler").optional(),
  /** Origins that may frame the handler's case page (the case system), comma-separated; default Silta's own. */
  SILTA_CASE_PAGE_FRAME_ANCESTORS: commaSeparated
    .pipe(
      z
        .array(
          z
            .string()
            .regex(
              /^('self'|https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/,
              "each entry must be 'self' or an https://host[:port] origin",
            ),
        )
        .min(1),
    )
    .optional(),
  /** Hosts whose media URLs are forwarded to targets (`name` or `*.suffix`), comma-separated (S5). */
  SILTA_MEDIA_HOSTS: commaSeparated
    .pipe(
      z
        .array(
          z
            .string()
            .regex(/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/, "each host must be a name like asiointi.hel.fi or *.hel.fi"),
        )
        .min(1),
    )
    .optional(),
  /** Token buckets (S4): requests per second (0 = off) and burst, per contractor key, admin token or session, webhook target. */
  SILTA_RATE_LIMIT_CONTRACTOR_PER_SECOND: rate(DEFAULT_RATE_LIMITS.contractor.perSecond),
  SILTA_RATE_LIMIT_CONTRACTOR_BURST: burst(DEFAULT_RATE_LIMITS.contractor.burst),
  SILTA_RATE_LIMIT_ADMIN_PER_SECOND: rate(DEFAULT_RATE_LIMITS.admin.perSecond),
  SILTA_RATE_LIMIT_ADMIN_BURST: burst(DEFAULT_RATE_LIMITS.admin.burst),
  SILTA_RATE_LIMIT_WEBHOOK_PER_SECOND: rate(DEFAULT_RATE_LIMITS.webhook.perSecond),
  SILTA_RATE_LIMIT_WEBHOOK_BURST: burst(DEFAULT_RATE_LIMITS.webhook.burst),
  /**
   * The reverse proxy in front of Silta, whose X-Forwarded-Proto (https: the console cookie gets
   * Secure) and X-Forwarded-For (the client address for login limits) are believed: `true` (any
   * peer: one proxy, and nothing else reaches Silta) or its addresses or CIDR ranges,
   * comma-separated. Unset or `false`: neither header is trusted.
   */
  SILTA_TRUSTED_PROXY: z
    .union([
      z.enum(["true", "false"]),
      commaSeparated.pipe(z.array(z.string().refine(isProxyEntry, PROXY_LIST)).min(1, PROXY_LIST)),
    ])
    .optional(),
  /** Console login attempts per client address per minute (0 = off). */
  SILTA_RATE_LIMIT_LOGIN_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(DEFAULT_RATE_LIMITS.login.burst),
  /** auto: migrate at start unless the database role cannot run DDL (an application role); true; false. */
  SILTA_MIGRATE_ON_START: z.enum(["auto", "true", "false"]).default("auto"),
  /** Days after which a finished case's personal data and payload copies are purged. */
  SILTA_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  SILTA_RETENTION_CRON: cronExpression.default("0 30 3 * * *"),
});

/** The named profile with each SILTA_OPEN311_* override applied. */
function sourceProfileFrom(e: z.infer<typeof envSchema>): SourceProfile {
  const base: SourceProfile = SOURCE_PROFILES[e.SILTA_OPEN311_PROFILE];
  return {
    ...base,
    ...(e.SILTA_OPEN311_PAGING ? { paging: e.SILTA_OPEN311_PAGING } : {}),
    ...(e.SILTA_OPEN311_PAGE_SIZE !== undefined ? { pageSize: e.SILTA_OPEN311_PAGE_SIZE } : {}),
    ...(e.SILTA_OPEN311_LIST_CAP !== undefined
      ? { listCap: e.SILTA_OPEN311_LIST_CAP === "learn" ? null : e.SILTA_OPEN311_LIST_CAP }
      : {}),
    ...(e.SILTA_OPEN311_WRITE_BACK ? { writeBack: e.SILTA_OPEN311_WRITE_BACK } : {}),
    ...(e.SILTA_OPEN311_CLOSED_MEANS ? { closedMeans: e.SILTA_OPEN311_CLOSED_MEANS } : {}),
    ...(e.SILTA_OPEN311_DETAILED_STATUS ? { detailedStatus: e.SILTA_OPEN311_DETAILED_STATUS } : {}),
    ...(e.SILTA_OPEN311_UPDATED_TIME_MOVES ? { updatedTimeMoves: e.SILTA_OPEN311_UPDATED_TIME_MOVES === "true" } : {}),
    ...(e.SILTA_OPEN311_MAX_WINDOW_DAYS !== undefined ? { maxWindowDays: e.SILTA_OPEN311_MAX_WINDOW_DAYS } : {}),
  };
}

function rate(fallback: number) {
  return z.coerce.number().min(0).max(100_000).default(fallback);
}
function burst(fallback: number) {
  return z.coerce.number().int().min(1).max(1_000_000).default(fallback);
}

export interface TargetConnection {
  /** Base URL of the target's API (Stara) or the contractor's webhook endpoint; absent = pull-only contractor. */
  url: string | null;
  token: string | null;
  /** Secrets Silta signs outbound webhooks with (all of them during a rotation). */
  webhookSecrets: string[];
  /** Secrets the target signs its inbound webhooks with. */
  inboundSecrets: string[];
  /** The operator's opt-in (SILTA_TARGET_<ID>_ALLOW_PRIVATE=true) for a target on loopback or a private network. */
  allowPrivate: boolean;
}

export interface SiltaConfig {
  database: { url: string } | { dataDir: string };
  host: string;
  port: number;
  publicUrl: string;
  mappingsDir: string;
  /** `pushSecrets` empty: push intake (POST /intake/open311) is off and the poll alone reads cases. */
  open311: { url: string; apiKey: string | null; pushSecrets: string[]; profile: SourceProfile; intake: IntakeSource };
  /** The anti-entropy re-read (SILTA_ANTI_ENTROPY_*). */
  antiEntropy: { cron: string; days: number; openDays: number; callGapMs: number };
  /** SILTA_INTAKE_STALE_MINUTES in ms. */
  intakeStaleMs: number;
  pollCron: string;
  pollLookbackMs: number;
  workerIdleMs: number;
  /** Cloudflare Worker: a scheduled run's time for events and jobs (a request's kick gets half). */
  workerTimeBudgetMs: number;
  retryHorizonMs: number;
  leaseMs: number;
  httpTimeoutMs: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  reconcileCron: string;
  /** Admin bearer tokens; empty: the admin surface is closed. */
  adminTokens: string[];
  /** Read-only handler tokens for case pages; empty: only admins can read them. */
  handlerTokens: string[];
  /** Origins that may frame the case page (SILTA_CASE_PAGE_FRAME_ANCESTORS); absent: Silta's own. */
  casePageFrameAncestors?: string[];
  /** Hosts whose media URLs work orders may carry (SILTA_MEDIA_HOSTS). */
  mediaHosts: string[];
  /** Photos from the field: size limit, and the S3-compatible bucket when not the database. */
  photos: {
    maxBytes: number;
    s3?: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string; region: string };
  };
  /** The SMTP server e-mail goes through (SILTA_SMTP_URL, SILTA_SMTP_FROM); absent: no e-mail (no fallback channel). */
  smtp?: { url: string; from: string };
  /** Operational alerts: channels, thresholds and schedule (SILTA_ALERT_*). */
  alerts: {
    email?: { smtpUrl: string; from: string; to: string[] };
    webhook?: { url: string; secrets: string[] };
    deadLetterThreshold: number;
    maxNoticesPerHour: number;
    cron: string;
  };
  /** Late-answer alarms' signed webhook (SILTA_ALARM_WEBHOOK_URL and _SECRETS); absent: none. */
  alarmWebhook?: { url: string; secrets: string[] };
  /** Token buckets per client (SILTA_RATE_LIMIT_*). */
  rateLimits: RateLimitSettings;
  /** SILTA_TRUSTED_PROXY: whose forwarded headers are believed; `"any"` (true), or addresses and ranges; empty: nobody. */
  trustedProxy: TrustedProxies;
  /** SILTA_MIGRATE_ON_START: `auto` skips migrating when the role cannot run DDL (S8). */
  migrateOnStart: "auto" | "always" | "never";
  /** Retention (SILTA_RETENTION_DAYS, SILTA_RETENTION_CRON). */
  retention: { days: number; cron: string };
  /** Connection per target id, from SILTA_TARGET_<ID>_* (id upper-cased, hyphens as underscores). */
  targets: Record<string, TargetConnection>;
}

function formatIssue(issue: z.core.$ZodIssue, prefix = ""): string {
  const name = `${prefix}${issue.path.join(".")}`;
  return `${name}: ${issue.message}`;
}

function configProblems(lead: string, problems: readonly string[]): ConfigError {
  return new ConfigError(
    `${lead}: the configuration has ${problems.length} problem(s):\n  ${problems.join("\n  ")}\nSee README.md, "Configuration".`,
  );
}

/** The environment variable prefix of a target's connection settings. */
export function targetEnvPrefix(targetId: string): string {
  return `SILTA_TARGET_${targetId.toUpperCase().replace(/-/g, "_")}_`;
}

/**
 * Parses the configuration once, at start-up. Every problem is reported at once with the name
 * of the setting and what it accepts; nothing reads the environment after this.
 */
export function parseConfig(
  env: Record<string, string | undefined>,
  targets: readonly { id: string; kind: "stara" | "contractor-api" }[],
): SiltaConfig {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map((issue) => formatIssue(issue));
  const connections: Record<string, TargetConnection> = {};
  for (const { id, kind } of targets) {
    const prefix = targetEnvPrefix(id);
    const read = (suffix: string) => env[`${prefix}${suffix}`]?.trim() || null;
    const parseSecrets = (suffix: string): string[] => {
      const raw = read(suffix);
      if (!raw) return [];
      const result = secretList.safeParse(raw);
      if (!result.success) {
        problems.push(`${prefix}${suffix}: ${result.error.issues[0]?.message ?? "invalid"}`);
        return [];
      }
      return result.data;
    };
    const url = read("URL");
    const allowPrivateText = read("ALLOW_PRIVATE");
    if (allowPrivateText !== null && allowPrivateText !== "true" && allowPrivateText !== "false")
      problems.push(`${prefix}ALLOW_PRIVATE: expected true or false`);
    const allowPrivate = allowPrivateText === "true";
    if (!url) problems.push(`${prefix}URL: required for target "${id}" (${kind})`);
    else if (!z.url().safeParse(url).success) problems.push(`${prefix}URL: expected an http(s) URL, got "${url}"`);
    else {
      // S5 at the URL level; names are checked again, resolved, on every connection.
      const checked = checkOutboundUrl(url, targetPolicy(url, allowPrivate));
      if (!checked.ok)
        problems.push(
          `${prefix}URL: refused (${checked.reason}); https to a public host, or set ${prefix}ALLOW_PRIVATE=true for a target on loopback or a private network`,
        );
    }
    if (kind === "stara" && !read("TOKEN")) problems.push(`${prefix}TOKEN: required for target "${id}" (${kind})`);
    const webhookSecrets = parseSecrets("WEBHOOK_SECRETS");
    if (!read("WEBHOOK_SECRETS"))
      problems.push(`${prefix}WEBHOOK_SECRETS: required for target "${id}" (whsec_… secrets, comma-separated)`);
    connections[id] = {
      url,
      token: read("TOKEN"),
      webhookSecrets,
      inboundSecrets: parseSecrets("INBOUND_SECRETS"),
      allowPrivate,
    };
  }
  if (parsed.success) {
    const s3 = [
      parsed.data.SILTA_PHOTO_S3_ENDPOINT,
      parsed.data.SILTA_PHOTO_S3_BUCKET,
      parsed.data.SILTA_PHOTO_S3_ACCESS_KEY_ID,
      parsed.data.SILTA_PHOTO_S3_SECRET_ACCESS_KEY,
    ];
    if (s3.some(Boolean) && !s3.every(Boolean))
      problems.push(
        "SILTA_PHOTO_S3_ENDPOINT, _BUCKET, _ACCESS_KEY_ID and _SECRET_ACCESS_KEY go together: set all four (photos in the bucket) or none (photos in the database)",
      );
  }
  if (parsed.success && parsed.data.SILTA_ALERT_EMAIL_TO && !parsed.data.SILTA_SMTP_URL)
    problems.push("SILTA_ALERT_EMAIL_TO needs SILTA_SMTP_URL: the SMTP server the alerts are sent through");
  if (parsed.success && Boolean(parsed.data.SILTA_ALERT_WEBHOOK_URL) !== Boolean(parsed.data.SILTA_ALERT_WEBHOOK_SECRETS))
    problems.push("SILTA_ALERT_WEBHOOK_URL and SILTA_ALERT_WEBHOOK_SECRETS go together: set both (alerts are signed) or neither");
  if (parsed.success && Boolean(parsed.data.SILTA_ALARM_WEBHOOK_URL) !== Boolean(parsed.data.SILTA_ALARM_WEBHOOK_SECRETS))
    problems.push("SILTA_ALARM_WEBHOOK_URL and SILTA_ALARM_WEBHOOK_SECRETS go together: set both (alarms are signed) or neither");
  if (parsed.success && parsed.data.SILTA_HTTP_TIMEOUT_MS * 2 > parsed.data.SILTA_LEASE_SECONDS * 1000) {
    // A call must end well inside the lease that fences it, or every create would wait for a longer lease.
    problems.push(
      `SILTA_HTTP_TIMEOUT_MS: ${parsed.data.SILTA_HTTP_TIMEOUT_MS} ms must be at most half of SILTA_LEASE_SECONDS (${parsed.data.SILTA_LEASE_SECONDS} s)`,
    );
  }
  if (parsed.success) {
    const e = parsed.data;
    const intake = e.SILTA_OPEN311_INTAKE;
    if (intake === "push" && !e.SILTA_OPEN311_PUSH_SECRETS)
      problems.push("SILTA_OPEN311_INTAKE: push needs SILTA_OPEN311_PUSH_SECRETS (the secrets the city signs pushes with)");
    if (intake === "keyed-list" && !e.SILTA_OPEN311_API_KEY)
      problems.push(
        "SILTA_OPEN311_INTAKE: keyed-list needs SILTA_OPEN311_API_KEY (list reads with the key include unpublished cases)",
      );
    if (e.SILTA_OPEN311_WRITE_BACK === "on" && !e.SILTA_OPEN311_API_KEY)
      problems.push("SILTA_OPEN311_WRITE_BACK: on needs SILTA_OPEN311_API_KEY (service request updates are written with it)");
  }
  if (!parsed.success || problems.length > 0) throw configProblems("Silta cannot start", problems);
  const e = parsed.data;
  return {
    database: e.DATABASE_URL ? { url: e.DATABASE_URL } : { dataDir: e.SILTA_DATA_DIR },
    host: e.SILTA_HOST,
    port: e.SILTA_PORT,
    publicUrl: e.SILTA_PUBLIC_URL ?? `http://${e.SILTA_HOST}:${e.SILTA_PORT}`,
    mappingsDir: e.SILTA_MAPPINGS_DIR,
    open311: {
      url: e.SILTA_OPEN311_URL,
      apiKey: e.SILTA_OPEN311_API_KEY ?? null,
      pushSecrets: e.SILTA_OPEN311_PUSH_SECRETS ?? [],
      profile: sourceProfileFrom(e),
      intake:
        e.SILTA_OPEN311_INTAKE === "push"
          ? "push"
          : e.SILTA_OPEN311_INTAKE === "keyed-list"
            ? "keyed_list"
            : e.SILTA_OPEN311_INTAKE === "public-list"
              ? "public_list"
              : e.SILTA_OPEN311_PUSH_SECRETS
                ? "push"
                : e.SILTA_OPEN311_API_KEY
                  ? "keyed_list"
                  : "public_list",
    },
    antiEntropy: {
      cron: e.SILTA_ANTI_ENTROPY_CRON ?? (sourceProfileFrom(e).updatedTimeMoves ? "0 20 2 * * *" : "0 20 * * * *"),
      days: e.SILTA_ANTI_ENTROPY_DAYS ?? e.SILTA_RETENTION_DAYS,
      openDays: e.SILTA_ANTI_ENTROPY_OPEN_DAYS,
      callGapMs: e.SILTA_ANTI_ENTROPY_CALL_GAP_MS,
    },
    intakeStaleMs: e.SILTA_INTAKE_STALE_MINUTES * 60_000,
    pollCron: e.SILTA_POLL_CRON,
    pollLookbackMs: e.SILTA_POLL_LOOKBACK_HOURS * 3_600_000,
    workerIdleMs: e.SILTA_WORKER_IDLE_MS,
    workerTimeBudgetMs: e.SILTA_WORKER_TIME_BUDGET_MS,
    retryHorizonMs: e.SILTA_RETRY_HORIZON_HOURS * 3_600_000,
    leaseMs: e.SILTA_LEASE_SECONDS * 1000,
    httpTimeoutMs: e.SILTA_HTTP_TIMEOUT_MS,
    logLevel: e.SILTA_LOG_LEVEL,
    reconcileCron: e.SILTA_RECONCILE_CRON,
    adminTokens: e.SILTA_ADMIN_TOKENS ?? [],
    handlerTokens: e.SILTA_HANDLER_TOKENS ?? [],
    ...(e.SILTA_CASE_PAGE_FRAME_ANCESTORS ? { casePageFrameAncestors: e.SILTA_CASE_PAGE_FRAME_ANCESTORS } : {}),
    mediaHosts: e.SILTA_MEDIA_HOSTS ?? [...DEFAULT_MEDIA_HOSTS],
    ...(e.SILTA_SMTP_URL ? { smtp: { url: e.SILTA_SMTP_URL, from: e.SILTA_SMTP_FROM } } : {}),
    alerts: {
      ...(e.SILTA_SMTP_URL && e.SILTA_ALERT_EMAIL_TO
        ? { email: { smtpUrl: e.SILTA_SMTP_URL, from: e.SILTA_SMTP_FROM, to: e.SILTA_ALERT_EMAIL_TO } }
        : {}),
      ...(e.SILTA_ALERT_WEBHOOK_URL && e.SILTA_ALERT_WEBHOOK_SECRETS
        ? { webhook: { url: e.SILTA_ALERT_WEBHOOK_URL, secrets: e.SILTA_ALERT_WEBHOOK_SECRETS } }
        : {}),
      deadLetterThreshold: e.SILTA_ALERT_DEAD_LETTERS,
      maxNoticesPerHour: e.SILTA_ALERT_MAX_PER_HOUR,
      cron: e.SILTA_ALERT_CRON,
    },
    photos: {
      maxBytes: e.SILTA_PHOTO_MAX_BYTES,
      ...(e.SILTA_PHOTO_S3_ENDPOINT &&
      e.SILTA_PHOTO_S3_BUCKET &&
      e.SILTA_PHOTO_S3_ACCESS_KEY_ID &&
      e.SILTA_PHOTO_S3_SECRET_ACCESS_KEY
        ? {
            s3: {
              endpoint: e.SILTA_PHOTO_S3_ENDPOINT,
              bucket: e.SILTA_PHOTO_S3_BUCKET,
              accessKeyId: e.SILTA_PHOTO_S3_ACCESS_KEY_ID,
              secretAccessKey: e.SILTA_PHOTO_S3_SECRET_ACCESS_KEY,
              region: e.SILTA_PHOTO_S3_REGION,
            },
          }
        : {}),
    },
    ...(e.SILTA_ALARM_WEBHOOK_URL && e.SILTA_ALARM_WEBHOOK_SECRETS
      ? { alarmWebhook: { url: e.SILTA_ALARM_WEBHOOK_URL, secrets: e.SILTA_ALARM_WEBHOOK_SECRETS } }
      : {}),
    rateLimits: {
      contractor: { perSecond: e.SILTA_RATE_LIMIT_CONTRACTOR_PER_SECOND, burst: e.SILTA_RATE_LIMIT_CONTRACTOR_BURST },
      admin: { perSecond: e.SILTA_RATE_LIMIT_ADMIN_PER_SECOND, burst: e.SILTA_RATE_LIMIT_ADMIN_BURST },
      webhook: { perSecond: e.SILTA_RATE_LIMIT_WEBHOOK_PER_SECOND, burst: e.SILTA_RATE_LIMIT_WEBHOOK_BURST },
      login: { perSecond: e.SILTA_RATE_LIMIT_LOGIN_PER_MINUTE / 60, burst: Math.max(1, e.SILTA_RATE_LIMIT_LOGIN_PER_MINUTE) },
    },
    trustedProxy:
      e.SILTA_TRUSTED_PROXY === "true" ? "any" : e.SILTA_TRUSTED_PROXY === "false" ? [] : (e.SILTA_TRUSTED_PROXY ?? []),
    migrateOnStart: e.SILTA_MIGRATE_ON_START === "auto" ? "auto" : e.SILTA_MIGRATE_ON_START === "true" ? "always" : "never",
    retention: { days: e.SILTA_RETENTION_DAYS, cron: e.SILTA_RETENTION_CRON },
    targets: connections,
  };
}

/**
 * The settings of envSchema that the maintenance commands (`silta migrate`, `ledger`, `audit`,
 * `retention`, `db`, `mappings`, `reconcile`) take their flags' defaults from: checked exactly as
 * parseConfig checks them, but on their own, so that these commands need no Open311 or target
 * settings.
 */
const commandEnvSchema = envSchema
  .pick({
    DATABASE_URL: true,
    SILTA_MIGRATION_DATABASE_URL: true,
    SILTA_DATA_DIR: true,
    SILTA_MAPPINGS_DIR: true,
    SILTA_RETENTION_DAYS: true,
  })
  .extend({ SILTA_OPEN311_URL: envSchema.shape.SILTA_OPEN311_URL.optional() });

export interface CommandSettings {
  /** DATABASE_URL, else the PGlite folder SILTA_DATA_DIR (as SiltaConfig.database). */
  database: { url: string } | { dataDir: string };
  /** SILTA_MIGRATION_DATABASE_URL: the owner's URL for `silta db grant-app-role`; null: unset. */
  migrationDatabaseUrl: string | null;
  /** SILTA_MAPPINGS_DIR. */
  mappingsDir: string;
  /** SILTA_RETENTION_DAYS. */
  retentionDays: number;
  /** SILTA_OPEN311_URL, optional here (`silta mappings check` lists its services); null: unset. */
  open311Url: string | null;
  /**
   * Neither DATABASE_URL nor SILTA_DATA_DIR is set: `ledger check` and `reconcile` may then use
   * the sandbox's database when the default folder holds none (and say so).
   */
  databaseUnset: boolean;
}

/**
 * Parses the few settings the maintenance commands need (commandEnvSchema), with the same
 * defaults as parseConfig. `error` names every wrong one at once (null: none); `settings` then
 * holds the default in place of each wrong value, so that `--help` can still show the others.
 */
export function parseCommandSettings(env: Record<string, string | undefined>): {
  settings: CommandSettings;
  error: ConfigError | null;
} {
  const parsed = commandEnvSchema.safeParse(env);
  const databaseUnset = !env.DATABASE_URL && !env.SILTA_DATA_DIR;
  if (parsed.success) return { settings: { ...commandSettingsFrom(parsed.data), databaseUnset }, error: null };
  const wrong = new Set(parsed.error.issues.map((issue) => String(issue.path[0])));
  const rest = Object.fromEntries(Object.entries(env).filter(([name]) => !wrong.has(name)));
  return {
    settings: { ...commandSettingsFrom(commandEnvSchema.parse(rest)), databaseUnset },
    error: configProblems(
      "silta",
      parsed.error.issues.map((issue) => formatIssue(issue)),
    ),
  };
}

function commandSettingsFrom(e: z.infer<typeof commandEnvSchema>): Omit<CommandSettings, "databaseUnset"> {
  return {
    database: e.DATABASE_URL ? { url: e.DATABASE_URL } : { dataDir: e.SILTA_DATA_DIR },
    migrationDatabaseUrl: e.SILTA_MIGRATION_DATABASE_URL ?? null,
    mappingsDir: e.SILTA_MAPPINGS_DIR,
    retentionDays: e.SILTA_RETENTION_DAYS,
    open311Url: e.SILTA_OPEN311_URL ?? null,
  };
}
