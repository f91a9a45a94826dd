import type { OpenAPIHono } from "@hono/zod-openapi";
import { countAppliedMigrations } from "../db/applied-migrations.ts";
import type { SiltaDeps } from "../domain/deps.ts";
import { readIntakeHealth } from "../domain/intake/intake-health.ts";
import { errorResponse } from "./contractor-api/api-errors.ts";

export interface OpsOptions {
  /** How many migrations this build ships (drizzle/meta/_journal.json); /readyz waits until all are applied. */
  expectedMigrations?: number;
  /** Prometheus text for /metrics; absent on runtimes without a metrics registry. */
  metrics?: { render(): Promise<{ contentType: string; body: string }> };
  /**
   * Intake freshness: `/readyz` answers 503 when no Open311 poll has succeeded for `staleMs`
   * (counted from `since`, the process's start, when none has). Absent: not checked.
   */
  intakeHealth?: { staleMs: number; since: Date };
}

/**
 * Operations endpoints: `/healthz` (the process answers), `/readyz` (the database answers, holds
 * every migration this build ships, and intake is not stale) and `/metrics` (Prometheus). No auth: they carry no
 * case data, and probes and scrapers run inside the deployment.
 */
export function registerOpsRoutes(app: OpenAPIHono, deps: SiltaDeps, options: OpsOptions): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", async (c) => {
    try {
      const applied = await countAppliedMigrations(deps.database);
      const expected = options.expectedMigrations;
      if (expected !== undefined && applied < expected) {
        return c.json(
          {
            status: "not_ready",
            reason: `migrations pending: ${applied} of ${expected} applied`,
            migrations: { applied, expected },
          },
          503,
        );
      }
      const source = deps.source
        ? {
            profile: deps.source.profile.name,
            intake: deps.source.intake,
            writeBack: deps.source.writeBack.enabled ? "on" : `off (${deps.source.writeBack.reason})`,
          }
        : undefined;
      if (options.intakeHealth) {
        const health = await readIntakeHealth(deps.database, { now: deps.now(), ...options.intakeHealth });
        const intake = {
          lastSuccessAt: health.lastSuccessAt,
          lastFailureAt: health.lastFailureAt,
          lastFailureReason: health.lastFailureReason,
          coverage: health.coverage,
        };
        if (health.stale) {
          return c.json(
            {
              status: "not_ready",
              reason: `intake stale: no Open311 poll has succeeded for over ${Math.round(options.intakeHealth.staleMs / 60_000)} min`,
              migrations: { applied, expected: expected ?? null },
              intake,
              source,
            },
            503,
          );
        }
        return c.json({ status: "ready", migrations: { applied, expected: expected ?? null }, intake, source });
      }
      return c.json({ status: "ready", migrations: { applied, expected: expected ?? null }, source });
    } catch (error) {
      // The reason names the failing check, not connection details.
      const message = error instanceof Error ? error.message : String(error);
      deps.log.warn({ err: message }, "readiness check failed");
      return c.json({ status: "not_ready", reason: "database unreachable or not migrated" }, 503);
    }
  });

  app.get("/metrics", async (c) => {
    if (!options.metrics) return errorResponse(c, "not_found", "metrics are not collected on this runtime");
    const { contentType, body } = await options.metrics.render();
    return c.body(body, 200, { "Content-Type": contentType });
  });
}
