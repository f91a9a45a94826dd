import { describe, expect, it } from "vitest";
import { createTargetGuards } from "../../src/domain/jobs/target-guard.ts";

const breaker = { failureThreshold: 3, openMs: 1_000 };
const budget = { ratio: 0.1, floor: 2, windowMs: 10_000 };
const fail = { ok: false, retryable: true, retry: false, probe: false };

describe("circuit breaker (R7)", () => {
  it("opens after N consecutive transient failures, refuses calls while open, then lets one probe through per interval", () => {
    const guards = createTargetGuards(breaker, budget);
    let now = 0;
    for (let i = 0; i < 3; i++) {
      expect(guards.admit("east", false, now).allowed).toBe(true);
      guards.settle("east", fail, now);
    }
    expect(guards.admit("east", false, now)).toMatchObject({ allowed: false, reason: "breaker_open", until: 1_000 });
    expect(guards.blockedTargets(now)).toEqual(["east"]);
    // Other targets are untouched.
    expect(guards.admit("west", false, now).allowed).toBe(true);

    now = 1_000;
    const probe = guards.admit("east", false, now);
    expect(probe).toEqual({ allowed: true, probe: true });
    // While the probe is out, nobody else calls.
    expect(guards.admit("east", false, now).allowed).toBe(false);
    expect(guards.admit("east", false, now + 500).allowed).toBe(false);
    guards.settle("east", { ...fail, probe: true }, now + 600);
    // A failed probe reopens for a whole interval.
    expect(guards.admit("east", false, now + 1_500).allowed).toBe(false);
    now = 2_700;
    expect(guards.admit("east", false, now)).toEqual({ allowed: true, probe: true });
    guards.settle("east", { ok: true, retryable: false, retry: false, probe: true }, now);
    expect(guards.snapshot(now).east?.breaker).toBe("closed");
    expect(guards.admit("east", false, now)).toEqual({ allowed: true, probe: false });
  });

  it("a target's own breaker settings (targets.yaml policy) override the default for it alone", () => {
    const guards = createTargetGuards(breaker, budget, new Map([["east", { failureThreshold: 1, openMs: 5_000 }]]));
    expect(guards.admit("east", false, 0).allowed).toBe(true);
    guards.settle("east", fail, 0);
    expect(guards.admit("east", false, 0)).toMatchObject({ allowed: false, reason: "breaker_open", until: 5_000 });
    for (let i = 0; i < 2; i++) {
      expect(guards.admit("west", false, 0).allowed).toBe(true);
      guards.settle("west", fail, 0);
    }
    expect(guards.admit("west", false, 0).allowed).toBe(true);
  });

  it("a success or a permanent answer resets the count of consecutive failures", () => {
    const guards = createTargetGuards(breaker, budget);
    for (const outcome of [fail, fail, { ok: false, retryable: false, retry: false, probe: false }, fail, fail]) {
      expect(guards.admit("east", false, 0).allowed).toBe(true);
      guards.settle("east", outcome, 0);
    }
    expect(guards.snapshot(0).east?.breaker).toBe("closed");
  });
});

describe("retry budget (R7)", () => {
  it("allows failed retries up to floor + 10 % of calls in the window, counts successful retries as free", () => {
    const guards = createTargetGuards({ failureThreshold: 1_000, openMs: 1_000 }, budget);
    for (let i = 0; i < 100; i++) {
      guards.admit("east", false, 0);
      guards.settle("east", { ok: true, retryable: false, retry: false, probe: false }, 0);
    }
    // 100 calls (+ the retries themselves): floor 2 + 10 % ≈ 12 failed retries.
    let allowed = 0;
    for (let i = 0; i < 40; i++) {
      const verdict = guards.admit("east", true, 0);
      if (!verdict.allowed) {
        expect(verdict.reason).toBe("retry_budget");
        continue;
      }
      allowed++;
      guards.settle("east", { ...fail, retry: true }, 0);
    }
    expect(allowed).toBeGreaterThanOrEqual(12);
    expect(allowed).toBeLessThanOrEqual(15);
    // First attempts are never refused by the budget.
    expect(guards.admit("east", false, 0).allowed).toBe(true);
    // The window slides: later the budget is back.
    expect(guards.admit("east", true, 20_000).allowed).toBe(true);
  });
});

describe("Retry-After (R6)", () => {
  it("holds the whole target until Retry-After has elapsed", () => {
    const guards = createTargetGuards(breaker, budget);
    guards.admit("east", false, 0);
    guards.settle("east", { ...fail, retryAfterMs: 3_000 }, 100);
    expect(guards.admit("east", false, 3_099)).toMatchObject({ allowed: false, reason: "retry_after", until: 3_100 });
    expect(guards.blockedTargets(3_099)).toEqual(["east"]);
    expect(guards.admit("east", false, 3_100).allowed).toBe(true);
  });
});
