import { sql } from "drizzle-orm";
import { Gauge, type Registry } from "prom-client";
import type { Database } from "../db/client.ts";
import type { SourceState } from "../domain/deps.ts";
import { OPEN311_LAST_SUCCESS } from "../domain/intake/intake-health.ts";

/**
 * The gauges read from the database at scrape time, for every runtime: the Node process adds
 * its counters of what it did; the Worker, whose isolates keep no counts, serves these alone
 * (the database is the one place its invocations share). No `node:` imports.
 */
export function registerDatabaseGauges(registry: Registry, database: Database | null, source?: SourceState): void {
  if (source) {
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
      name: "silta_late_answer_alarms",
      help: "Open late-answer alarms: work not finished warnDays (warning) or completeDays (breach) after the report.",
      labelNames: ["level"] as const,
      registers: [registry],
      async collect() {
        const rows = await database.rows<{ kind: string; n: number }>(
          sql`select kind, count(*)::int as n from reconciliation_findings
              where state <> 'resolved' and kind in ('sla_warning', 'sla_breach') group by kind`,
        );
        const count = (kind: string) => Number(rows.find((row) => row.kind === kind)?.n ?? 0);
        this.set({ level: "warning" }, count("sla_warning"));
        this.set({ level: "breach" }, count("sla_breach"));
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
  if (database) {
    new Gauge({
      name: "silta_jobs",
      help: "Jobs not finished, by state (pending, running, dead), target and kind.",
      labelNames: ["state", "target", "kind"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        const rows = await database.rows<{ state: string; target: string; kind: string; n: number }>(sql`
          select state, target, kind, count(*)::int as n from outbox_jobs
          where state in ('pending', 'running', 'dead') group by state, target, kind`);
        for (const r of rows) this.set({ state: r.state, target: r.target, kind: r.kind }, Number(r.n));
      },
    });
  }
}
