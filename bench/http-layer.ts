/**
 * Issue 23's "find out": what would a leaner HTTP layer save Silta per round trip? Measures the
 * CPU one HTTP call costs on each side, on Silta's stack and on bare node:http, and multiplies
 * the differences by a round trip's calls (`npm run bench:http-layer`). Figures are printed,
 * never asserted.
 *
 * - Served (webhooks and contractor events, ~2.6 per round trip): Hono on @hono/node-server
 *   against bare node:http, each in a process of its own, driven by autocannon; the server
 *   process's CPU per request.
 * - Made (creates, write-backs, polls, ~2.3 per round trip): Silta's client path (openapi-fetch →
 *   the capped, guarded undici call of src/runtime/outbound-fetch-node.ts), plain undici fetch,
 *   undici.request and node:http.request, against a bare node:http server; this process's CPU per
 *   call.
 */
import type { ChildProcess } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import createClient from "openapi-fetch";
import { Agent, fetch as undiciFetch, request as undiciRequest } from "undici";
import { cappedFetch } from "../src/lib/capped-response.ts";
import { createGuardedFetch } from "../src/runtime/outbound-fetch-node.ts";
import { startChildServer } from "./lib/child-server.ts";
import { percentile } from "./lib/stats.ts";

const HELP = `Usage: npm run bench:http-layer -- [--requests N] [--rounds R] [--connections C] [--json]

Measures the CPU of one HTTP call on Silta's stack and on bare node:http, on the serving side
(Hono on @hono/node-server) and the calling side (openapi-fetch over Silta's guarded undici
fetch), and prints what a leaner layer would save per round trip at the round trip's calls.

  --requests N     calls per measurement (default 20000)
  --rounds R       interleaved rounds; the median is printed (default 3)
  --connections C  calls in flight at once (default 8)
  --served S       calls Silta serves per round trip (default 2.6, bench/results/2026-12-07-session.txt)
  --made M         calls Silta makes per round trip (default 2.3, same source)
  --json           print the figures as JSON
`;

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "8" },
    served: { type: "string", default: "2.6" },
    made: { type: "string", default: "2.3" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const positive = (name: string, text: string, integer: boolean): number => {
  const n = Number(text);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    process.stderr.write(`--${name}: expected a positive ${integer ? "whole " : ""}number, got "${text}" (see --help)\n`);
    process.exit(2);
  }
  return n;
};
const REQUESTS = positive("requests", values.requests, true);
const ROUNDS = positive("rounds", values.rounds, true);
const CONNECTIONS = positive("connections", values.connections, true);
const SERVED = positive("served", values.served, false);
const MADE = positive("made", values.made, false);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** A body the size of a field-event webhook (~600 bytes) and one of a work-order create (~1.5 KB). */
const EVENT_BODY = JSON.stringify({
  events: [
    {
      eventId: "evt-000000000001",
      workOrderId: "helsinki:2026-00012345:contractor-east",
      status: "IN_PROGRESS",
      occurredAt: "2026-12-07T10:00:00.000Z",
      note: "Crew on site. ".repeat(24),
    },
  ],
});
const CREATE_BODY = JSON.stringify({
  type: "work_order.created",
  workOrder: { externalRef: "helsinki:2026-00012345:contractor-east", description: "Kuoppa ajoradalla. ".repeat(60) },
});
const HEADERS = {
  "content-type": "application/json",
  "webhook-id": "msg_2b7c1b0a",
  "webhook-timestamp": "1796636400",
  "webhook-signature": `v1,${"A".repeat(44)}`,
};

const SERVER = fileURLToPath(new URL("./lib/http-layer-server.ts", import.meta.url));

async function startServer(stack: "hono" | "node"): Promise<{ url: string; child: ChildProcess; cpu: () => Promise<number> }> {
  const { url, child } = await startChildServer(SERVER, [stack], { ipc: true });
  const cpu = () =>
    new Promise<number>((resolve) => {
      child.once("message", (micros) => resolve(Number(micros)));
      child.send("cpu");
    });
  return { url, child, cpu };
}

/** Server CPU µs per request over `REQUESTS` POSTs from autocannon (after a warm-up). */
async function servedCost(stack: "hono" | "node"): Promise<number> {
  const server = await startServer(stack);
  try {
    const load = (amount: number) =>
      autocannon({
        url: `${server.url}/webhooks/contractor-east`,
        method: "POST",
        headers: HEADERS,
        body: EVENT_BODY,
        connections: CONNECTIONS,
        amount,
      });
    await load(Math.min(2000, REQUESTS));
    const before = await server.cpu();
    const result = await load(REQUESTS);
    const after = await server.cpu();
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${stack}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return (after - before) / result.requests.total;
  } finally {
    server.child.kill("SIGTERM");
  }
}

type Call = () => Promise<void>;

/** The calling stacks: each makes one POST of a create's size and reads the JSON answer. */
function callers(url: string): Record<string, { call: Call; close: () => Promise<void> }> {
  const target = `${url}/webhooks/contractor-east`;
  const check = (status: number, text: string) => {
    if (status !== 202) throw new Error(`answered ${status}`);
    JSON.parse(text);
  };

  // Silta's own path for a contractor create (adapters/contractor-api/client.ts): openapi-fetch,
  // the capped read, and the guarded undici fetch with its pinned connector.
  const guarded = createGuardedFetch({
    policy: { schemes: ["http:"], hosts: [], allowPrivate: true },
    what: "bench",
    timeoutMs: 10_000,
    maxResponseBytes: 4 * 1024 * 1024,
  });
  interface Paths {
    "/webhooks/{target}": {
      post: {
        parameters: { path: { target: string } };
        requestBody: { content: { "application/json": unknown } };
        responses: { 202: { content: { "application/json": unknown } } };
      };
    };
  }
  const client = createClient<Paths>({ baseUrl: url, fetch: cappedFetch(64 * 1024, "bench", () => guarded), redirect: "manual" });

  const agent = new Agent({ connections: CONNECTIONS });
  const nodeAgent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  return {
    "Silta's (openapi-fetch, guarded undici)": {
      call: async () => {
        const answer = await client.POST("/webhooks/{target}", {
          params: { path: { target: "contractor-east" } },
          headers: HEADERS,
          body: {},
          bodySerializer: () => CREATE_BODY,
          parseAs: "text",
          signal: AbortSignal.timeout(10_000),
        });
        check(answer.response.status, typeof answer.data === "string" ? answer.data : "");
      },
      close: () => guarded.close(),
    },
    "undici fetch": {
      call: async () => {
        const response = await undiciFetch(target, { method: "POST", headers: HEADERS, body: CREATE_BODY, dispatcher: agent });
        check(response.status, await response.text());
      },
      close: async () => {},
    },
    "undici.request": {
      call: async () => {
        const response = await undiciRequest(target, { method: "POST", headers: HEADERS, body: CREATE_BODY, dispatcher: agent });
        check(response.statusCode, await response.body.text());
      },
      close: () => agent.close(),
    },
    "node:http.request": {
      call: () =>
        new Promise<void>((resolve, reject) => {
          const req = http.request(target, { method: "POST", headers: HEADERS, agent: nodeAgent }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () => {
              try {
                check(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"));
                resolve();
              } catch (error) {
                reject(error);
              }
            });
            res.on("error", reject);
          });
          req.on("error", reject);
          req.end(CREATE_BODY);
        }),
      close: async () => nodeAgent.destroy(),
    },
  };
}

/** This process's CPU µs per call over `count` calls, `CONNECTIONS` in flight at once. */
async function madeCost(call: Call, count: number): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      await call();
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: CONNECTIONS }, lane));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

/** The median of a figure's rounds (nearest rank, to 0.1). */
const median = (xs: number[]) => percentile(xs, 50) ?? Number.NaN;

const served: Record<"hono" | "node", number[]> = { hono: [], node: [] };
const made: Record<string, number[]> = {};
const target = await startServer("node");
const stacks = callers(target.url);
try {
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round} of ${ROUNDS}: served side…`);
    for (const stack of round % 2 === 1 ? (["hono", "node"] as const) : (["node", "hono"] as const)) {
      served[stack].push(await servedCost(stack));
    }
    log(`round ${round} of ${ROUNDS}: calling side…`);
    const names = Object.keys(stacks);
    for (const name of round % 2 === 1 ? names : names.reverse()) {
      const stack = stacks[name];
      if (!stack) continue;
      await madeCost(stack.call, Math.min(2000, REQUESTS));
      const cost = await madeCost(stack.call, REQUESTS);
      made[name] = [...(made[name] ?? []), cost];
    }
  }
} finally {
  for (const stack of Object.values(stacks)) await stack.close();
  target.child.kill("SIGTERM");
}

const servedHono = median(served.hono);
const servedNode = median(served.node);
const madeFigures = Object.fromEntries(Object.entries(made).map(([name, xs]) => [name, median(xs)]));
const madeSilta = madeFigures["Silta's (openapi-fetch, guarded undici)"] ?? Number.NaN;
const madeLeanest = Math.min(...Object.values(madeFigures));
const savingMs = (SERVED * Math.max(0, servedHono - servedNode) + MADE * (madeSilta - madeLeanest)) / 1000;
const report = {
  requests: REQUESTS,
  rounds: ROUNDS,
  connections: CONNECTIONS,
  servedMicrosPerCall: { "hono on @hono/node-server (Silta's)": servedHono, "node:http": servedNode },
  madeMicrosPerCall: madeFigures,
  callsPerRoundTrip: { served: SERVED, made: MADE },
  leanerLayerSavesMsPerRoundTrip: Math.round(savingMs * 100) / 100,
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const lines = [
    `HTTP layer, CPU per call (µs; median of ${ROUNDS} interleaved rounds of ${REQUESTS} calls, ${CONNECTIONS} in flight)`,
    "  served (a webhook: read, parse, answer 202):",
    ...Object.entries(report.servedMicrosPerCall).map(([name, us]) => `    ${name.padEnd(46)} ${String(us).padStart(7)}`),
    "  made (a create: POST 1.5 KB, read the JSON answer):",
    ...Object.entries(madeFigures).map(([name, us]) => `    ${name.padEnd(46)} ${String(us).padStart(7)}`),
    `  at ${SERVED} served and ${MADE} made per round trip, the leanest stack measured on each side would save ${report.leanerLayerSavesMsPerRoundTrip} ms of Silta's CPU per round trip`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
