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
