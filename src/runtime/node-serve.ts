import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface RunningServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a Hono app on loopback (port 0 picks a free one) and resolves once it listens.
 * Used by the Node entry, the sandbox and the tests; simulators use it too.
 */
export function startHttpServer(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  options: { port?: number; hostname?: string } = {},
): Promise<RunningServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? 0, hostname }, (info: AddressInfo) => {
      resolve({
        url: `http://${hostname}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            // Keep-alive sockets would hold close() open; end them explicitly.
            if ("closeAllConnections" in server) (server as { closeAllConnections(): void }).closeAllConnections();
            server.close(() => done());
          }),
      });
    });
    server.on("error", reject);
  });
}
