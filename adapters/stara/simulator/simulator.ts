import { Hono } from "hono";
import { createRng } from "../../../src/lib/prng.ts";
import type { StaraStatus } from "../statuses.ts";
import { staraApiRoutes } from "./api-routes.ts";
import { simControlRoutes } from "./control-routes.ts";
import type { StaraEngine, StaraSimState, StaraSimulatorOptions } from "./engine.ts";
import { createStaraEngine } from "./engine.ts";
import type { StaraSimKnobs, StaraSimKnobsPatch } from "./knobs.ts";
import type { StaraStore, StaraWorkOrder } from "./store.ts";
import { createWireFaults, type WireFaults } from "./wire-faults.ts";

export type { StaraSimState, StaraSimulatorOptions } from "./engine.ts";
export type { StaraSimKnobs, StaraSimKnobsPatch } from "./knobs.ts";
export type { StaraEvent, StaraStore, StaraWorkOrder } from "./store.ts";

export interface StaraSimulator {
  /** Stara's API at `/api/v1` and the control surface at `/__sim`. */
  app: Hono;
  /** Ground truth for checkers: every work order, counts per reference and per state, the change log. */
  store: StaraStore;
  /** Live knobs; read freely, change through `setKnobs` (it validates, and resumes paused progress). */
  knobs: StaraSimKnobs;
  /** The bearer token the simulated Stara expects. */
  token: string;
  engine: StaraEngine;
  /** Wire pathologies (commit then reset, hang, slow/huge body, redirect, dropped connection); `/__sim/wire-faults`. */
  wireFaults: WireFaults;
  setKnobs(patch: StaraSimKnobsPatch): StaraSimKnobs;
  /** Points status webhooks at Silta (null: stop sending); new secrets replace the old when given. */
  setWebhookTarget(url: string | null, secrets?: string[]): void;
  /** Moves a work order to `tila` with an event (webhook and change feed), for deterministic tests. */
  advance(tunnus: string, tila: StaraStatus): StaraWorkOrder;
  /** Drift: changes the state without any event. */
  setStatusSilently(tunnus: string, tila: StaraStatus): StaraWorkOrder;
  /** Drift: forgets the work order as if Stara lost it. */
  dropWorkOrder(tunnus: string): boolean;
  /** Pushes an event with any status text and note, leaving the order as it is (hostile or unknown codes). */
  reportRawStatus(tunnus: string, tila: string, note: string | null): void;
  /** Work orders with this reference, oldest first (more than one is a duplicate). */
  ordersByExternalRef(externalRef: string): StaraWorkOrder[];
  state(): StaraSimState;
  /** Clears every timer and waits for webhook deliveries in flight to end. */
  stop(): Promise<void>;
}

/**
 * A simulated Stara work-order system (see `openapi.yaml`) as a Hono app: stores work orders in
 * memory, honours Idempotency-Key, moves each work order along a random but seeded path, sends
 * signed status webhooks, keeps a change feed, and injects faults through knobs. Serve it with
 * `startStaraSimulator` (serve.ts) or call `app.fetch` directly.
 */
export function createStaraSimulator(options: StaraSimulatorOptions = {}): StaraSimulator {
  const engine = createStaraEngine(options);
  const app = new Hono();
  // Its own PRNG stream, so that turning wire faults on does not change the other fault draws.
  const wireFaults = createWireFaults(createRng((options.seed ?? 1) + 3), (method) => method === "POST");
  app.use("/api/v1/*", wireFaults.middleware);
  app.get("/__sim/wire-faults", (c) => c.json({ knobs: wireFaults.knobs, stats: wireFaults.stats }));
  app.post("/__sim/wire-faults", async (c) => {
    try {
      return c.json(wireFaults.set(await c.req.json()));
    } catch {
      return c.json({ error: { code: "invalid_knobs", message: "expected a partial wire-fault object" } }, 400);
    }
  });
  app.route("/api/v1", staraApiRoutes(engine));
  app.route("/__sim", simControlRoutes(engine));
  app.notFound((c) => c.json({ virhe: { koodi: "polkua_ei_loydy", viesti: "Polkua ei löydy." } }, 404));
  app.onError((error, c) => c.json({ virhe: { koodi: "sisainen_virhe", viesti: error.message } }, 500));

  return {
    app,
    store: engine.store,
    knobs: engine.knobs,
    token: engine.token,
    engine,
    wireFaults,
    setKnobs: (patch) => engine.setKnobs(patch),
    setWebhookTarget: (url, secrets) => engine.setWebhookTarget(url, secrets),
    advance: (tunnus, tila) => engine.advance(tunnus, tila),
    setStatusSilently: (tunnus, tila) => engine.setStatusSilently(tunnus, tila),
    dropWorkOrder: (tunnus) => engine.dropWorkOrder(tunnus),
    reportRawStatus: (tunnus, tila, note) => engine.reportRawStatus(tunnus, tila, note),
    ordersByExternalRef: (externalRef) => engine.store.findByExternalRef(externalRef).map((stored) => stored.order),
    state: () => engine.state(),
    stop: () => engine.stop(),
  };
}
