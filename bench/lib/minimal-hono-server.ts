/**
 * The HTTP ceiling's server: a minimal Hono app on @hono/node-server (Silta's own HTTP stack), in
 * a process of its own, answering GET /ping with a small JSON body. Prints its URL on stdout.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono().get("/ping", (c) => c.json({ ok: true }));
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.stdout.write(`http://127.0.0.1:${info.port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
