import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Rng } from "../../../src/lib/prng.ts";

/**
 * Wire-level pathologies for the simulators (reliability.md, chaos harness): the faults that are
 * not an HTTP status. Shared by the Stara and the contractor simulators; every rate is a
 * probability per request, drawn from the simulator's seeded PRNG so that a seed replays.
 *
 * - `resetAfterCommitRate`: the request takes effect, then the connection is torn down with no
 *   answer (**commit then reset**: the ambiguous failure par excellence). Effectful requests only.
 * - `resetBeforeRate`: the connection is torn down before anything happens (what a refused or
 *   dropped connection looks like to the client).
 * - `hangRate` / `hangMs`: nothing happens and no answer comes for `hangMs` (a timeout before commit).
 * - `slowBodyRate` / `slowBodyMs`: the request takes effect, the answer's body trickles for `slowBodyMs`.
 * - `hugeBodyRate` / `hugeBodyBytes`: the request takes effect, the answer is padded to this size.
 * - `redirectRate`: answered 307 to another address before anything happens (never to be followed).
 */
export interface WireFaultKnobs {
  resetAfterCommitRate: number;
  resetBeforeRate: number;
  hangRate: number;
  hangMs: number;
  slowBodyRate: number;
  slowBodyMs: number;
  hugeBodyRate: number;
  hugeBodyBytes: number;
  redirectRate: number;
}

export interface WireFaultStats {
  resetAfterCommit: number;
  resetBefore: number;
  hang: number;
  slowBody: number;
  hugeBody: number;
  redirect: number;
}

export function defaultWireFaultKnobs(): WireFaultKnobs {
  return {
    resetAfterCommitRate: 0,
    resetBeforeRate: 0,
    hangRate: 0,
    hangMs: 30_000,
    slowBodyRate: 0,
    slowBodyMs: 30_000,
    hugeBodyRate: 0,
    hugeBodyBytes: 4 * 1024 * 1024,
    redirectRate: 0,
  };
}

const rate = z.number().min(0).max(1);
const millis = z.number().int().min(0).max(600_000);

/** A partial update as accepted by `POST /__sim/wire-faults`. */
export const wireFaultPatchSchema = z.strictObject({
  resetAfterCommitRate: rate.optional(),
  resetBeforeRate: rate.optional(),
  hangRate: rate.optional(),
  hangMs: millis.optional(),
  slowBodyRate: rate.optional(),
  slowBodyMs: millis.optional(),
  hugeBodyRate: rate.optional(),
  hugeBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .optional(),
  redirectRate: rate.optional(),
});

/** The Node socket under a request served by @hono/node-server, when there is one. */
function destroySocket(env: unknown): boolean {
  const socket = (env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming?.socket;
  if (!socket) return false;
  socket.destroy();
  return true;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Trickles whitespace for `ms`, then the real body (JSON allows leading whitespace). */
function slowBody(body: string, ms: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const until = Date.now() + ms;
  return new ReadableStream({
    async pull(controller) {
      if (Date.now() < until) {
        await sleep(Math.min(250, Math.max(1, until - Date.now())));
        controller.enqueue(encoder.encode(" "));
        return;
      }
      controller.enqueue(encoder.encode(body));
      controller.close();
    },
  });
}

/** Pads a JSON object answer with a large unknown field; other answers get trailing whitespace. */
function hugeBody(body: string, bytes: number): string {
  const trimmed = body.trimStart();
  if (trimmed.startsWith("{") && trimmed.length > 1) {
    const rest = trimmed.slice(1).trimStart();
    return `{"_padding":"${"x".repeat(bytes)}"${rest.startsWith("}") ? "" : ","}${rest}`;
  }
  return body + " ".repeat(bytes);
}

/**
 * The middleware and its knobs. Mount it in front of the simulated API; `isEffectful` says
 * which requests can take effect (commit-then-* faults are drawn for those only).
 */
export function createWireFaults(rng: Rng, isEffectful: (method: string, path: string) => boolean) {
  const knobs = defaultWireFaultKnobs();
  const stats: WireFaultStats = { resetAfterCommit: 0, resetBefore: 0, hang: 0, slowBody: 0, hugeBody: 0, redirect: 0 };

  const middleware: MiddlewareHandler = async (c, next) => {
    if (rng.chance(knobs.resetBeforeRate) && destroySocket(c.env)) {
      stats.resetBefore += 1;
      return new Response(null, { status: 500 });
    }
    if (rng.chance(knobs.redirectRate)) {
      stats.redirect += 1;
      return c.redirect("http://127.0.0.1:9/elsewhere", 307);
    }
    if (rng.chance(knobs.hangRate)) {
      stats.hang += 1;
      await sleep(knobs.hangMs);
      return c.json({ error: { code: "hung" } }, 504);
    }
    const effectful = isEffectful(c.req.method, c.req.path);
    const resetAfter = effectful && rng.chance(knobs.resetAfterCommitRate);
    const slow = !resetAfter && rng.chance(knobs.slowBodyRate);
    const huge = !resetAfter && !slow && rng.chance(knobs.hugeBodyRate);
    await next();
    if (resetAfter && destroySocket(c.env)) {
      stats.resetAfterCommit += 1;
      c.res = new Response(null, { status: 500 });
      return;
    }
    if (!slow && !huge) return;
    const text = await c.res.text();
    const headers = new Headers(c.res.headers);
    headers.delete("content-length");
    if (slow) {
      stats.slowBody += 1;
      c.res = new Response(slowBody(text, knobs.slowBodyMs), { status: c.res.status, headers });
    } else {
      stats.hugeBody += 1;
      c.res = new Response(hugeBody(text, knobs.hugeBodyBytes), { status: c.res.status, headers });
    }
  };

  return {
    knobs,
    stats,
    middleware,
    /** Validates and applies a partial update. */
    set(patch: unknown): WireFaultKnobs {
      Object.assign(knobs, wireFaultPatchSchema.parse(patch));
      return knobs;
    },
  };
}

export type WireFaults = ReturnType<typeof createWireFaults>;
