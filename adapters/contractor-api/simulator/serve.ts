import { parseArgs } from "node:util";
import { type RunningServer, startHttpServer } from "../../../src/runtime/node-serve.ts";
import { type ContractorSimulator, type ContractorSimulatorOptions, createContractorSimulator } from "./app.ts";

export interface RunningContractorSimulator {
  /** The simulator's base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** What Silta is configured with as the contractor's endpoint: `<url>/silta`. */
  endpointUrl: string;
  sim: ContractorSimulator;
  /** Stops every timer, then the server. */
  close(): Promise<void>;
}

/** Node only: serves a contractor simulator on loopback (port 0 picks a free one). */
export async function startContractorSimulator(
  options: ContractorSimulatorOptions & { port?: number } = {},
): Promise<RunningContractorSimulator> {
  const { port, ...simulatorOptions } = options;
  const sim = createContractorSimulator(simulatorOptions);
  let server: RunningServer;
  try {
    server = await startHttpServer(sim.app, port === undefined ? {} : { port });
  } catch (error) {
    sim.stop();
    throw error;
  }
  return {
    url: server.url,
    endpointUrl: `${server.url}/silta`,
    sim,
    close: async () => {
      sim.stop();
      await server.close();
    },
  };
}

/**
 * Runs the contractor simulator as its own process (its store then survives Silta's crashes):
 * `node adapters/contractor-api/simulator/serve.ts --port 0 --seed 7 --webhook-secret whsec_…
 * [--silta-url … --api-key …] [--knobs '{…}'] [--event-attempts 30]`. Prints one JSON line
 * `{"url", "endpointUrl"}` once it listens; Silta's URL and key can also be set later through
 * `POST /__sim/silta`. Stops on SIGTERM.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      seed: { type: "string", default: process.env.SEED ?? "1" },
      "webhook-secret": { type: "string", multiple: true },
      "silta-url": { type: "string" },
      "api-key": { type: "string" },
      "min-delay-ms": { type: "string", default: "500" },
      "max-delay-ms": { type: "string", default: "3000" },
      "event-attempts": { type: "string" },
      knobs: { type: "string" },
    },
  });
  const running = await startContractorSimulator({
    port: Number(values.port),
    seed: Number(values.seed),
    progress: { minDelayMs: Number(values["min-delay-ms"]), maxDelayMs: Number(values["max-delay-ms"]) },
    ...(values["webhook-secret"] ? { webhookSecrets: values["webhook-secret"] } : {}),
    ...(values["silta-url"] && values["api-key"] ? { siltaBaseUrl: values["silta-url"], apiKey: values["api-key"] } : {}),
    ...(values["event-attempts"] ? { eventAttempts: Number(values["event-attempts"]) } : {}),
  });
  if (values.knobs) {
    const response = await running.sim.app.request("/__sim/knobs", { method: "POST", body: values.knobs });
    if (!response.ok) throw new Error(`invalid --knobs: ${await response.text()}`);
  }
  process.stdout.write(`${JSON.stringify({ url: running.url, endpointUrl: running.endpointUrl })}\n`);
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
