import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { inboxEvents } from "../../src/db/schema/index.ts";
import { createApp } from "../../src/http/app.ts";
import { INBOUND_LIMITS } from "../../src/http/limits/inbound-limits.ts";
import { signWebhook } from "../../src/lib/webhook-signature.ts";
import { type RunningServer, startHttpServer } from "../../src/runtime/node-serve.ts";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture } from "../integration/http-admin-fixture.ts";

/**
 * S4 at the Node server, over real loopback sockets: header size (431), headers or bodies that
 * trickle in (408), all in the JSON error shape; and an oversize flood that leaves the server
 * serving, with no oversized or deep body ever reaching the handler.
 */
let f: HttpFixture;
let server: RunningServer;
const port = () => server.port;

beforeAll(async () => {
  f = await createHttpFixture();
  const app = createApp(f.deps, { adminTokens: [ADMIN_TOKEN], bodyReadTimeoutMs: 300 });
  server = await startHttpServer(app, {
    limits: { headersTimeoutMs: 300, requestTimeoutMs: 2_000, connectionsCheckingIntervalMs: 100 },
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await f?.dispose();
});

/** Writes raw bytes, optionally more after a pause, and resolves with everything the server sent before closing. */
function rawExchange(first: string, options: { thenWait?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port(), "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("utf8");
    });
    socket.on("close", () => resolve(received));
    socket.on("error", (error) => (received ? resolve(received) : reject(error)));
    socket.write(first);
    if (options.thenWait === undefined) return;
    // Keep the connection open and silent; the server must end it.
  });
}

function statusAndBody(raw: string): { status: number; body: { error: { code: string; message: string } } } {
  const [head = "", body = ""] = raw.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), body: JSON.parse(body) };
}

describe("the Node server's own refusals", () => {
  it("headers larger than 16 KiB answer 431 with the JSON error body", async () => {
    const raw = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${"a".repeat(20 * 1024)}\r\n\r\n`);
    const { status, body } = statusAndBody(raw);
    expect(status).toBe(431);
    expect(body.error.code).toBe("header_too_large");
  });

  it("headers that trickle in (slowloris) answer 408 and the connection is closed", async () => {
    const raw = await rawExchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1", { thenWait: 0 });
    const { status, body } = statusAndBody(raw);
    expect(status).toBe(408);
    expect(body.error.code).toBe("request_timeout");
  });

  it("a body that stops arriving answers 408 from the body-read deadline", async () => {
    const raw = await rawExchange(
      `POST /api/admin/v1/failures/replay HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{"dryRun":`,
      { thenWait: 0 },
    );
    const { status, body } = statusAndBody(raw);
    expect(status).toBe(408);
    expect(body.error.code).toBe("request_timeout");
  });

  it("the server sets the header limit explicitly", async () => {
    const raw = await rawExchange(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${"a".repeat(12 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    expect(raw.startsWith("HTTP/1.1 200")).toBe(true);
  });
});

/** Posts a body over HTTP; resolves with the status, or "reset" when the server cut the upload short. */
function post(path: string, body: Buffer | string, headers: Record<string, string>, chunked = false): Promise<number | "reset"> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port: port(), path, method: "POST", headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve("reset"));
    if (chunked) {
      // No Content-Length: 64 KiB pieces until the server stops listening.
      const piece = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += piece.length;
          if (!req.write(piece)) return req.once("drain", pump);
        }
        req.end();
      };
      pump();
    } else req.end(body);
  });
}

describe("an oversize flood", () => {
  it("leaves the server serving, and no oversized or deep body reaches a handler", async () => {
    const stara = f.deps.targets.get("stara");
    if (!stara) throw new Error("fixture has no stara");
    const verify = vi.spyOn(stara, "verifyWebhook");
    const rowsBefore = (await f.database.db.select().from(inboxEvents)).length;
    const big = Buffer.alloc(INBOUND_LIMITS.webhookBodyBytes + 1024, 0x7b);
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const json = { "content-type": "application/json" };
    const flood: Promise<number | "reset">[] = [];
    for (let i = 0; i < 20; i++) {
      flood.push(post("/webhooks/stara", big, { ...json, "content-length": String(big.length) }));
      flood.push(post("/webhooks/stara", Buffer.alloc(0), { ...json, "transfer-encoding": "chunked" }, true));
      flood.push(post("/webhooks/stara", deep, { ...json, "content-length": String(Buffer.byteLength(deep)) }));
    }
    const outcomes = await Promise.all(flood);
    expect(outcomes.filter((o) => o !== 413 && o !== 400 && o !== "reset")).toEqual([]);
    expect(outcomes.filter((o) => o === 413).length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 400).length).toBe(20);
    expect(verify).not.toHaveBeenCalled();
    expect((await f.database.db.select().from(inboxEvents)).length).toBe(rowsBefore);
    verify.mockRestore();

    // A normal, signed webhook and a plain read still go through.
    const text = JSON.stringify({
      tapahtumat: [
        {
          tapahtuma_id: "after-flood",
          tunnus: "ST-1",
          ulkoinen_viite: "helsinki:after-flood:stara",
          tila: "TYÖN_ALLA",
          aikaleima: new Date().toISOString(),
        },
      ],
    });
    const signed = signWebhook([f.staraSecrets[0]], text, "msg_after_flood");
    expect(await post("/webhooks/stara", text, { ...json, ...signed, "content-length": String(Buffer.byteLength(text)) })).toBe(
      200,
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 60_000);
});
