import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { serve } from "@hono/node-server";
import type { Context } from "hono";

export interface RunningServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * What the Node server itself refuses before the app sees a request (S4): oversized headers
 * (431), headers that trickle in (slowloris) and requests whose body has not fully arrived in
 * time (408). Node checks the two timeouts every `connectionsCheckingIntervalMs`.
 */
export interface ServerLimits {
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  connectionsCheckingIntervalMs: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  connectionsCheckingIntervalMs: 2_000,
};

/** Node's own refusals, in the app's error body shape (`{ error: { code, message, requestId } }`). */
function refuseOnSocket(socket: Socket, status: number, reason: string, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message, requestId: "" } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Answers what Node's HTTP parser refused, as Node would (status line), but with a JSON body. */
function answerClientError(error: Error & { code?: string }, socket: Socket, limits: ServerLimits): void {
  if (error.code === "ECONNRESET" || !socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  if (error.code === "HPE_HEADER_OVERFLOW")
    refuseOnSocket(
      socket,
      431,
      "Request Header Fields Too Large",
      "header_too_large",
      `the request headers are larger than ${limits.maxHeaderBytes} bytes`,
    );
  else if (error.code === "ERR_HTTP_REQUEST_TIMEOUT")
    refuseOnSocket(
      socket,
      408,
      "Request Timeout",
      "request_timeout",
      `the request did not arrive within ${limits.requestTimeoutMs} ms (headers within ${limits.headersTimeoutMs} ms)`,
    );
  else refuseOnSocket(socket, 400, "Bad Request", "invalid_request", "the request is not valid HTTP");
}

/** The peer's address on Node (for the console's login limit); the app reads it through `AppOptions.clientAddress`. */
export function nodeClientAddress(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

/**
 * Serves a Hono app on loopback (port 0 picks a free one) and resolves once it listens.
 * Used by the Node entry, the sandbox and the tests; simulators use it too.
 */
export function startHttpServer(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  options: { port?: number; hostname?: string; limits?: Partial<ServerLimits> } = {},
): Promise<RunningServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch as Parameters<typeof serve>[0]["fetch"],
        port: options.port ?? 0,
        hostname,
        serverOptions: {
          maxHeaderSize: limits.maxHeaderBytes,
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
        },
      },
      (info: AddressInfo) => {
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
      },
    ) as Server;
    server.on("clientError", (error: Error & { code?: string }, socket: Socket) => answerClientError(error, socket, limits));
    server.on("error", reject);
  });
}
