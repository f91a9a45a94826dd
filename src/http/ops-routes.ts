import type { OpenAPIHono } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { SiltaDeps } from "../domain/deps.ts";
import { errorResponse } from "./contractor-api/api-errors.ts";

export interface OpsOptions {
  /** How many migrations this build ships (drizzle/meta/_journal.json); /readyz waits until all are applied. */
  expectedMigrations?: number;
  /** Prometheus text for /metrics; absent on runtimes without a metrics registry. */
  metrics?: { render(): Promise<{ contentType: string; body: string }> };
}

/**
 * Operations endpoints: `/healthz` (the process answers), `/readyz` (the database answers and
 * holds every migration this build ships) and `/metrics` (Prometheus). No auth: they carry no
 * case data, and probes and scrapers run inside the deployment.
 */
export function registerOpsRoutes(app: OpenAPIHono, deps: SiltaDeps, options: OpsOptions): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", async (c) => {
    try {
      const [row] = await deps.database.rows<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      const applied = Number(row?.n ?? 0);
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
      return c.json({ status: "ready", migrations: { applied, expected: expected ?? null } });
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
