import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createContractorApiWorkOrderSystem } from "../../adapters/contractor-api/client.ts";
import { isSiltaError, type SiltaError } from "../../src/kernel/errors.ts";
import { failureFromFetchError } from "../../src/lib/http-failure.ts";
import { type OutboundPolicy, targetPolicy } from "../../src/lib/outbound-guard.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import {
  type ConnectAttempt,
  createGuardedFetch,
  type GuardedFetch,
  guardedFetchFactory,
} from "../../src/runtime/outbound-fetch-node.ts";
import { createTargetSystems } from "../../src/runtime/targets.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";

/**
 * The guarded fetch against the SSRF corpus, with a stubbed resolver and a connect hook: every
 * connection Silta is about to open is recorded, and the hook refuses any that is not the loopback
 * test server, so no packet can leave for another address even if a protection failed.
 */

const connects: ConnectAttempt[] = [];
const lookups: string[] = [];
let answers: Record<string, string[] | (() => string[])> = {};
let hugeBytesWritten = 0;
const HUGE_TOTAL = 64 * 1024 * 1024;

const resolver = async (hostname: string) => {
  lookups.push(hostname);
  const entry = answers[hostname];
  const list = typeof entry === "function" ? entry() : entry;
  if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};

const onConnect = (attempt: ConnectAttempt): void => {
  connects.push(attempt);
  if (attempt.address !== "127.0.0.1") throw new Error(`test hook: refusing to connect to ${attempt.address}`);
};

function writeHuge(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const pump = (): void => {
    while (hugeBytesWritten < HUGE_TOTAL && !res.destroyed) {
      hugeBytesWritten += chunk.length;
      if (!res.write(chunk)) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

let server: Server;
let port = 0;
const open: GuardedFetch[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/redirect") {
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" });
      res.end();
    } else if (req.url === "/huge") {
      writeHuge(res);
    } else if (req.url === "/slow") {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{");
      const timer = setInterval(() => res.write(" "), 50);
      res.on("close", () => clearInterval(timer));
    } else if (req.url === "/gzip") {
      // Compressed though nobody asked (no Accept-Encoding): some servers do.
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" }).end(gzipSync('{"ok":"gzip"}'));
    } else if (req.url === "/gzip-bomb") {
      res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)));
    } else if (req.url === "/lzw") {
      res.writeHead(200, { "content-encoding": "compress" }).end("\x1f\x9d");
    } else if (req.url?.startsWith("/silta/webhooks")) {
      req.resume();
      req.on("end", () => res.writeHead(202, { "content-type": "application/json" }).end("{}"));
    } else {
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  connects.length = 0;
  lookups.length = 0;
  answers = {};
  await Promise.all(open.splice(0).map((f) => f.close()));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function guarded(policy: OutboundPolicy, overrides: { timeoutMs?: number; maxResponseBytes?: number } = {}): GuardedFetch {
  const fetch = createGuardedFetch({
    policy,
    what: "target test",
    timeoutMs: overrides.timeoutMs ?? 5_000,
    maxResponseBytes: overrides.maxResponseBytes ?? 64 * 1024,
    resolver,
    onConnect,
  });
  open.push(fetch);
  return fetch;
}

/** The loopback test server, opted in as a private-network target would be. */
function testServer(): { url: string; fetch: GuardedFetch } {
  answers["erp.test"] = ["127.0.0.1"];
  const url = `http://erp.test:${port}`;
  return { url, fetch: guarded(targetPolicy(url, true)) };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("the call succeeded");
}

async function siltaFailure(promise: Promise<unknown>): Promise<SiltaError> {
  const error = await failure(promise);
  if (!isSiltaError(error)) throw new Error(`not a SiltaError: ${String(error)}`, { cause: error });
  return error;
}

/** Any host, both schemes, no opt-in: what a contractor callback or an attachment would get. */
const PUBLIC_ONLY: OutboundPolicy = { schemes: ["https:", "http:"], hosts: [], allowPrivate: false };

describe("guarded fetch (S5)", () => {
  it("reaches the opted-in loopback test server, connecting to the resolved address once", async () => {
    const { url, fetch } = testServer();
    const response = await fetch(new Request(`${url}/hello`));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(connects).toEqual([{ hostname: "erp.test", address: "127.0.0.1", port }]);
    expect(lookups).toEqual(["erp.test"]);
  });

  it.each([
    "http://127.0.0.1/",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://0x7f.1/",
    "http://2130706433/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fd00::1]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "file:///etc/passwd",
  ])("refuses %s without resolving or connecting", async (url) => {
    const error = await siltaFailure(guarded(PUBLIC_ONLY)(new Request(url)));
    expect(error.code).toBe("outbound_refused");
    expect(error.retryable).toBe(false);
    expect(connects).toEqual([]);
    expect(lookups).toEqual([]);
  });

  it.each([
    ["metadata.attacker.example", ["169.254.169.254"]],
    ["internal.attacker.example", ["10.0.0.1"]],
    ["loop6.attacker.example", ["::1"]],
    ["mapped.attacker.example", ["::ffff:127.0.0.1"]],
    ["ula.attacker.example", ["fd00::1"]],
    ["mixed.attacker.example", ["93.184.216.34", "10.0.0.1"]],
    ["garbage.attacker.example", ["not-an-address"]],
  ])("refuses %s, which resolves to %j, before any connection", async (name, addresses) => {
    answers[name] = addresses;
    const error = await siltaFailure(guarded(PUBLIC_ONLY)(new Request(`https://${name}/hook`)));
    expect(error.code).toBe("outbound_refused");
    expect(error.message).not.toContain(name);
    expect(lookups).toEqual([name]);
    expect(connects).toEqual([]);
  });

  it("connects to the address it checked, not to what the name resolves to a moment later (DNS rebinding)", async () => {
    let calls = 0;
    answers["rebind.attacker.example"] = () => (calls++ === 0 ? ["93.184.216.34"] : ["127.0.0.1"]);
    await failure(guarded(PUBLIC_ONLY)(new Request("https://rebind.attacker.example/")));
    // One resolution, and the connection went (would have gone) to the checked public address:
    // the test hook stopped it there, so nothing left the machine either way.
    expect(calls).toBe(1);
    expect(connects.map((c) => c.address)).toEqual(["93.184.216.34"]);
  });

  it("does not follow a redirect from the allowed server to the metadata address", async () => {
    const { url, fetch } = testServer();
    const error = await siltaFailure(fetch(new Request(`${url}/redirect`)));
    expect(error.code).toBe("target_rejected");
    expect(error.httpStatus).toBe(302);
    expect(error.message).not.toContain("169.254");
    expect(connects.map((c) => c.address)).toEqual(["127.0.0.1"]);
  });

  it("aborts an oversized answer at the cap, without reading the rest", async () => {
    hugeBytesWritten = 0;
    const { url, fetch } = testServer();
    const error = await siltaFailure(fetch(new Request(`${url}/huge`)));
    expect(error.code).toBe("target_bad_response");
    expect(error.message).toContain("over 65536 bytes");
    // The server stopped well short of the 64 MiB it had to send: the body was not drained.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hugeBytesWritten).toBeLessThan(HUGE_TOTAL / 2);
  });

  it("reads a gzip answer as fetch did, counts the cap in decoded bytes, and refuses a coding it cannot read", async () => {
    const { url, fetch } = testServer();
    expect(await (await fetch(new Request(`${url}/gzip`))).json()).toEqual({ ok: "gzip" });
    const bomb = await siltaFailure(fetch(new Request(`${url}/gzip-bomb`)));
    expect(bomb.code).toBe("target_bad_response");
    expect(bomb.message).toContain("over 65536 bytes");
    const lzw = await siltaFailure(fetch(new Request(`${url}/lzw`)));
    expect(lzw.code).toBe("target_bad_response");
    expect(lzw.message).toContain("content coding");
  });

  it("aborts a slow answer at the time cap, classified as a timeout", async () => {
    answers["erp.test"] = ["127.0.0.1"];
    const fetch = guarded(targetPolicy(`http://erp.test:${port}`, true), { timeoutMs: 300 });
    const error = await failure(fetch(new Request(`http://erp.test:${port}/slow`)));
    expect(failureFromFetchError(error, "target test").code).toBe("target_timeout");
  });

  it("is what the contractor client sends through: a refused destination is a permanent, classified failure", async () => {
    const { url, fetch } = testServer();
    const client = (endpointUrl: string, send: GuardedFetch) =>
      createContractorApiWorkOrderSystem({
        targetId: "contractor-test",
        endpointUrl,
        webhookSecrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        timeoutMs: 2_000,
        fetch: send,
      });
    const ok = await client(`${url}/silta`, fetch).createWorkOrder(
      { externalRef: "helsinki:1:contractor-test", serviceRequestId: "1", serviceCode: "171" },
      "helsinki:1:contractor-test",
    );
    expect(ok.externalRef).toBe("helsinki:1:contractor-test");

    answers["erp.attacker.example"] = ["169.254.169.254"];
    const error = await siltaFailure(
      client("https://erp.attacker.example/silta", guarded(PUBLIC_ONLY)).findByExternalRef("helsinki:1:contractor-test"),
    );
    expect(error.code).toBe("outbound_refused");
    expect(connects.map((c) => c.address)).toEqual(["127.0.0.1"]);
  });

  it("is how the Node runtime builds targets: each reaches only its own host, private only when opted in", async () => {
    answers["api.stara.example"] = ["10.0.0.7"];
    answers["erp.test"] = ["127.0.0.1"];
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const made: GuardedFetch[] = [];
    const factory = guardedFetchFactory({ resolver, onConnect });
    const systems = createTargetSystems(
      loadMappingsFromDir(MAPPINGS_DIR),
      {
        stara: {
          url: "https://api.stara.example",
          token: "t",
          webhookSecrets: [secret],
          inboundSecrets: [],
          allowPrivate: false,
        },
        "contractor-east": {
          url: `http://erp.test:${port}/silta`,
          token: null,
          webhookSecrets: [secret],
          inboundSecrets: [],
          allowPrivate: true,
        },
        "contractor-west": {
          url: "https://erp.west.example/silta",
          token: null,
          webhookSecrets: [secret],
          inboundSecrets: [],
          allowPrivate: false,
        },
      },
      2_000,
      (targetId, policy, timeoutMs) => {
        const fetch = factory(targetId, policy, timeoutMs);
        made.push(fetch);
        return fetch;
      },
    );
    open.push(...made);
    const order = { externalRef: "helsinki:1:x", serviceRequestId: "1", serviceCode: "171" };
    const refused = await siltaFailure(systems.get("stara")?.createWorkOrder(order, order.externalRef) ?? Promise.resolve());
    expect(refused.code).toBe("outbound_refused");
    await systems.get("contractor-east")?.createWorkOrder(order, order.externalRef);
    expect(connects.map((c) => c.address)).toEqual(["127.0.0.1"]);
  });

  it("refuses every name whose resolved address is private (property)", async () => {
    const privateAddress = fc.oneof(
      fc.tuple(fc.constantFrom(10, 127), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join(".")),
      fc.tuple(fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)).map(([b, c, d]) => `172.${b}.${c}.${d}`),
      fc.tuple(fc.nat(255), fc.nat(255)).map(([c, d]) => `192.168.${c}.${d}`),
      fc.tuple(fc.nat(255), fc.nat(255)).map(([c, d]) => `169.254.${c}.${d}`),
      fc.tuple(fc.integer({ min: 64, max: 127 }), fc.nat(255), fc.nat(255)).map(([b, c, d]) => `100.${b}.${c}.${d}`),
      fc.integer({ min: 0, max: 0xffff }).map((h) => `fd00::${h.toString(16)}`),
      fc.integer({ min: 0, max: 0xffff }).map((h) => `fe80::${h.toString(16)}`),
      fc.tuple(fc.nat(255), fc.nat(255)).map(([c, d]) => `::ffff:10.0.${c}.${d}`),
      fc.constantFrom("::1", "::", "0.0.0.0"),
    );
    const publicAddress = fc.constantFrom("93.184.216.34", "8.8.8.8", "2001:4860:4860::8888");
    const fetch = guarded(PUBLIC_ONLY);
    await fc.assert(
      fc.asyncProperty(
        fc.array(publicAddress, { maxLength: 2 }),
        privateAddress,
        fc.nat(3),
        async (publicOnes, bad, position) => {
          const list: string[] = [...publicOnes];
          list.splice(position % (list.length + 1), 0, bad);
          answers["p.attacker.example"] = list;
          const error = await siltaFailure(fetch(new Request("https://p.attacker.example/")));
          expect(error.code).toBe("outbound_refused");
          expect(connects).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
