import { Hono } from "hono";
import { z } from "zod";
import type { StaraEngine } from "./engine.ts";
import { issueSummary, statusRequestSchema, webhookTargetRequestSchema } from "./requests.ts";

/**
 * The test-control surface at `/__sim`, for harnesses that run the simulator as a separate
 * process: state and counts, knobs, the webhook target, the ground truth for checkers, and the
 * drift helpers. Not part of Stara's API and not authenticated (loopback only).
 */
export function simControlRoutes(engine: StaraEngine): Hono {
  const control = new Hono();

  control.get("/state", (c) => c.json(engine.state()));

  control.get("/knobs", (c) => c.json(engine.knobs));

  control.post("/knobs", async (c) => {
    try {
      return c.json(engine.setKnobs(await c.req.json()));
    } catch (error) {
      const message = error instanceof z.ZodError ? issueSummary(error) : "body is not JSON";
      return c.json({ error: { code: "invalid_knobs", message } }, 400);
    }
  });

  control.post("/webhook-target", async (c) => {
    const parsed = webhookTargetRequestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: { code: "invalid_target", message: issueSummary(parsed.error) } }, 400);
    engine.setWebhookTarget(parsed.data.url, parsed.data.secrets);
    return c.json({ url: parsed.data.url });
  });

  control.get("/orders", (c) => c.json({ tyotilaukset: engine.store.all() }));

  control.get("/external-refs", (c) => {
    const counts = Object.fromEntries(engine.store.countByExternalRef());
    const duplicated = Object.entries(counts)
      .filter(([, count]) => count > 1)
      .map(([ref]) => ref);
    return c.json({ counts, duplicated });
  });

  control.post("/orders/:tunnus/advance", async (c) => {
    const parsed = statusRequestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: { code: "invalid_status", message: issueSummary(parsed.error) } }, 400);
    if (!engine.store.get(c.req.param("tunnus")))
      return c.json({ error: { code: "not_found", message: "no such work order" } }, 404);
    return c.json(engine.advance(c.req.param("tunnus"), parsed.data.tila));
  });

  control.post("/orders/:tunnus/silent-status", async (c) => {
    const parsed = statusRequestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: { code: "invalid_status", message: issueSummary(parsed.error) } }, 400);
    if (!engine.store.get(c.req.param("tunnus")))
      return c.json({ error: { code: "not_found", message: "no such work order" } }, 404);
    return c.json(engine.setStatusSilently(c.req.param("tunnus"), parsed.data.tila));
  });

  control.delete("/orders/:tunnus", (c) => {
    const dropped = engine.dropWorkOrder(c.req.param("tunnus"));
    return dropped ? c.body(null, 204) : c.json({ error: { code: "not_found", message: "no such work order" } }, 404);
  });

  return control;
}
