import { parseArgs } from "node:util";
import type { RunningServer } from "../../../src/runtime/node-serve.ts";
import { startHttpServer } from "../../../src/runtime/node-serve.ts";
import type { StaraSimulator, StaraSimulatorOptions } from "./simulator.ts";
import { createStaraSimulator } from "./simulator.ts";

export interface RunningStaraSimulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`; Stara's API is under `/api/v1`. */
  url: string;
  port: number;
  sim: StaraSimulator;
  /** Stops the simulator's timers and webhooks, then the HTTP server. */
  close(): Promise<void>;
}

/**
 * Serves a fresh simulated Stara on loopback (Node only). Port 0 (the default) picks a free port.
 */
export async function startStaraSimulator(
  options: StaraSimulatorOptions & { port?: number; hostname?: string } = {},
): Promise<RunningStaraSimulator> {
  const { port, hostname, ...simOptions } = options;
  const sim = createStaraSimulator(simOptions);
  let server: RunningServer;
  try {
    server = await startHttpServer(sim.app, { ...(port !== undefined ? { port } : {}), ...(hostname ? { hostname } : {}) });
  } catch (error) {
    await sim.stop();
    throw error;
  }
  return {
    url: server.url,
    port: server.port,
    sim,
    async close() {
      await sim.stop();
      await server.close();
    },
  };
}

/**
 * Runs the simulator as its own process, as the chaos harness does (its store then survives
 * Silta's crashes): `node adapters/stara/simulator/serve.ts --port 0 --seed 7 --webhook-url …
 * --webhook-secret whsec_…`. Prints one JSON line `{"url": …}` once it listens; stops on SIGTERM.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      seed: { type: "string", default: process.env.SEED ?? "1" },
      token: { type: "string" },
      "webhook-url": { type: "string" },
      "webhook-secret": { type: "string", multiple: true },
      "min-delay-ms": { type: "string", default: "1000" },
      "max-delay-ms": { type: "string", default: "5000" },
      /** A JSON knobs patch applied at start (e.g. the chaos harness's fault schedule). */
      knobs: { type: "string" },
    },
  });
  const running = await startStaraSimulator({
    port: Number(values.port),
    seed: Number(values.seed),
    progress: { minDelayMs: Number(values["min-delay-ms"]), maxDelayMs: Number(values["max-delay-ms"]) },
    ...(values.token ? { token: values.token } : {}),
    ...(values["webhook-url"] ? { webhookUrl: values["webhook-url"] } : {}),
    ...(values["webhook-secret"] ? { webhookSecrets: values["webhook-secret"] } : {}),
  });
  if (values.knobs) running.sim.setKnobs(JSON.parse(values.knobs));
  process.stdout.write(`${JSON.stringify({ url: running.url, token: running.sim.token })}\n`);
  const shutdown = (): void => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

if (import.meta.main) await main();
