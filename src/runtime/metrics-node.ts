import { Counter, Histogram, Registry } from "prom-client";
import type { Database } from "../db/client.ts";
import type { Metrics, SourceState } from "../domain/deps.ts";
import { registerDatabaseGauges } from "./metrics-database.ts";

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
  registerDatabaseGauges(registry, database, options.source);
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
