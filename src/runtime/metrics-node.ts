import { sql } from "drizzle-orm";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../db/client.ts";
import type { Metrics, SourceState } from "../domain/deps.ts";
import { OPEN311_LAST_SUCCESS } from "../domain/intake/intake-health.ts";

export interface NodeMetrics {
  /** What the core reports to (SiltaDeps.metrics). */
  metrics: Metrics;
  /** Prometheus text for `/metrics` (createApp's `metrics` option). */
  render(): Promise<{ contentType: string; body: string }>;
  registry: Registry;
}

/**
 * Silta's Prometheus metrics on Node (prom-client), in a registry of its own (no global state):
 * deliveries, retries, dead letters and attempt latency per target and kind, field events,
 * intake, and at scrape time the backlog age and dead letters read from the database. Labels
 * are target ids, job kinds and outcome codes only: never case ids or personal data (S6).
 */
export function createNodeMetrics(
  database: Database | null,
  options: { defaultMetrics?: boolean; source?: SourceState } = {},
): NodeMetrics {
  const registry = new Registry();
  const deliveries = new Counter({
    name: "silta_deliveries_total",
    help: "Outbox job attempts by target, kind and outcome (done, retry, parked, lease_lost).",
    labelNames: ["target", "kind", "outcome"] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: "silta_retries_total",
    help: "Job attempts that failed and were rescheduled, by target, kind and error code.",
    labelNames: ["target", "kind", "outcome"] as const,
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: "silta_dead_letters_total",
    help: "Jobs parked (dead-lettered), by target, kind and error code.",
    labelNames: ["target", "kind", "outcome"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "silta_delivery_duration_seconds",
    help: "Time per job attempt, by target, kind and outcome.",
    labelNames: ["target", "kind", "outcome"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const fieldEvents = new Counter({
    name: "silta_field_events_total",
    help: "Inbound field-status events settled, by target and outcome (applied, stale, quarantined, unknown_work_order).",
    labelNames: ["target", "outcome"] as const,
    registers: [registry],
  });
  const intake = new Counter({
    name: "silta_intake_cases_total",
    help: "Cases seen by intake, by outcome (new, updated, routed, excluded).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });

  const mediaDropped = new Counter({
    name: "silta_media_urls_dropped_total",
    help: "Media URLs left out of work orders by the outbound guard (not https on an allowed host), by target.",
    labelNames: ["target"] as const,
    registers: [registry],
  });

  const polls = new Counter({
    name: "silta_open311_polls_total",
    help: "Open311 intake polls by outcome (ok, failed).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const quarantined = new Counter({
    name: "silta_intake_quarantined_total",
    help: "Records from the case system newly held in quarantine (unreadable, or refused by the database).",
    registers: [registry],
  });
  if (options.source) {
    const source = options.source;
    new Gauge({
      name: "silta_open311_write_back_enabled",
      help: "1 when field status is written back to the case system; 0 when it is off (configured, or no servicerequestupdates).",
      labelNames: ["profile"] as const,
      registers: [registry],
      collect() {
        this.set({ profile: source.profile.name }, source.writeBack.enabled ? 1 : 0);
      },
    });
  }

  if (database) {
    /** When the last Open311 poll succeeded (epoch ms), or null: both intake gauges read it. */
    const lastSuccessMs = async (): Promise<number | null> => {
      const [row] = await database.rows<{ position: string }>(
        sql`select position from poll_cursors where name = ${OPEN311_LAST_SUCCESS}`,
      );
      return row ? Date.parse(row.position) : null;
    };
    new Gauge({
      name: "silta_open311_last_success_timestamp_seconds",
      help: "When the last Open311 poll succeeded (Unix time; 0: never).",
      registers: [registry],
      async collect() {
        const at = await lastSuccessMs();
        this.set(at === null ? 0 : at / 1000);
      },
    });
    new Gauge({
      name: "silta_intake_lag_seconds",
      help: "Seconds since the last successful Open311 poll: how far behind the source Silta's view of it is.",
      registers: [registry],
      async collect() {
        const at = await lastSuccessMs();
        this.set(at === null ? 0 : Math.max(0, (Date.now() - at) / 1000));
      },
    });
    new Gauge({
      name: "silta_intake_quarantined_records",
      help: "Records from the case system held in quarantine now.",
      registers: [registry],
      async collect() {
        const [row] = await database.rows<{ n: number }>(
          sql`select count(*)::int as n from source_quarantine where state = 'open'`,
        );
        this.set(Number(row?.n ?? 0));
      },
    });
    new Gauge({
      name: "silta_backlog_age_seconds",
      help: "Age of the oldest pending or running job, by target and kind (0: nothing waits).",
      labelNames: ["target", "kind"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const rows = await database.rows<{ target: string; kind: string; age: number | string | null }>(sql`
          select target, kind, extract(epoch from now() - min(created_at))::float8 as age
          from outbox_jobs where state in ('pending', 'running') group by target, kind`);
        for (const r of rows) this.set({ target: r.target, kind: r.kind }, Math.max(0, Number(r.age ?? 0)));
      },
    });
    new Gauge({
      name: "silta_dead_letters",
      help: "Dead-lettered jobs now, by target and kind.",
      labelNames: ["target", "kind"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const rows = await database.rows<{ target: string; kind: string; n: number }>(
          sql`select target, kind, count(*)::int as n from outbox_jobs where state = 'dead' group by target, kind`,
        );
        for (const r of rows) this.set({ target: r.target, kind: r.kind }, Number(r.n));
      },
    });
  }
  if (options.defaultMetrics) {
    // Process metrics (memory, event loop) help tell a slow target from a slow Silta.
    void import("prom-client").then(({ collectDefaultMetrics }) =>
      collectDefaultMetrics({ register: registry, prefix: "silta_" }),
    );
  }

  const metrics: Metrics = {
    jobAttempt({ kind, target, outcome, errorCode, ms }) {
      deliveries.inc({ target, kind, outcome });
      latency.observe({ target, kind, outcome }, ms / 1000);
      if (outcome === "retry") retries.inc({ target, kind, outcome: errorCode ?? "unknown" });
      if (outcome === "parked") deadLetters.inc({ target, kind, outcome: errorCode ?? "unknown" });
    },
    fieldEvent({ target, state }) {
      fieldEvents.inc({ target, outcome: state });
    },
    intake(event) {
      for (const outcome of ["new", "updated", "routed", "excluded"] as const) {
        if (event[outcome] > 0) intake.inc({ outcome }, event[outcome]);
      }
      if ((event.quarantined ?? 0) > 0) quarantined.inc(event.quarantined ?? 0);
    },
    poll({ ok }) {
      polls.inc({ outcome: ok ? "ok" : "failed" });
    },
    mediaUrlsDropped({ target, count }) {
      mediaDropped.inc({ target }, count);
    },
  };
  return {
    metrics,
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
