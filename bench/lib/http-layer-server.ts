/**
 * The server of the HTTP-layer experiment (bench/http-layer.ts), in a process of its own: answers
 * POST /webhooks/:target the way Silta's webhook route does at the HTTP level (read the body as
 * text, parse the JSON, answer 202 with a small JSON body), on the stack named by argv[2]:
 * `hono` (Hono on @hono/node-server, Silta's stack) or `node` (bare node:http). Prints its URL on
 * stdout; answers the IPC message "cpu" with its CPU time so far (µs).
 */
import { createServer } from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const ANSWER = JSON.stringify({ accepted: 1, duplicates: 0 });
const stack = process.argv[2];

function listening(port: number): void {
  process.stdout.write(`http://127.0.0.1:${port}\n`);
}

if (stack === "hono") {
  const app = new Hono().post("/webhooks/:target", async (c) => {
    JSON.parse(await c.req.text());
    return c.json({ accepted: 1, duplicates: 0 }, 202);
  });
  serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => listening(info.port));
} else if (stack === "node") {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || !req.url?.startsWith("/webhooks/")) {
        res.writeHead(404).end();
        return;
      }
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(202, { "content-type": "application/json", "content-length": Buffer.byteLength(ANSWER) }).end(ANSWER);
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address && typeof address === "object") listening(address.port);
  });
} else {
  process.stderr.write(`http-layer-server: expected "hono" or "node", got "${stack}"\n`);
  process.exit(2);
}

process.on("message", (message) => {
  if (message !== "cpu") return;
  const { user, system } = process.cpuUsage();
  process.send?.(user + system);
});
process.on("SIGTERM", () => process.exit(0));
