/**
 * Per-target protection (reliability.md R7), kept in memory per process: a circuit breaker, a
 * retry budget and the target's own "come back later" (Retry-After). A target that fails must
 * cost the others nothing: while its breaker is open or its Retry-After runs, its jobs are not
 * even claimed, and when a job of it is claimed anyway it is rescheduled without a call.
 *
 * Several processes each keep their own state: with P processes a half-open target sees at most
 * P probes per interval, which is still bounded and needs no shared table.
 */

export interface BreakerSettings {
  /** Consecutive transient failures that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker refuses calls before it lets one probe through (half-open). */
  openMs: number;
}

export interface BudgetSettings {
  /** Failed retries allowed as a share of all calls in the window (Google SRE: 10 %). */
  ratio: number;
  /** Failed retries always allowed per window, so that a quiet target can still retry. */
  floor: number;
  /** Length of the sliding window. */
  windowMs: number;
}

export type GuardVerdict =
  | { allowed: true; probe: boolean }
  /** Rescheduled without a call: `until` is the earliest useful next try. */
  | { allowed: false; reason: "breaker_open" | "retry_after" | "retry_budget"; until: number };

type BreakerState = "closed" | "open" | "half_open";

interface TargetState {
  breaker: BreakerState;
  consecutiveFailures: number;
  openedAt: number;
  /** A half-open probe is on the wire: nobody else calls until it settles. */
  probing: boolean;
  /** The target asked us (Retry-After) not to call before this instant. */
  holdUntil: number;
  /** Window buckets of [calls, failed retries], one per tenth of the window. */
  buckets: { start: number; calls: number; failedRetries: number }[];
  retriesInFlight: number;
}

const BUCKETS = 10;

export interface TargetGuards {
  /**
   * May this attempt call the target now? `retry` is true for any attempt after the first.
   * An allowed call must be followed by exactly one `settle`.
   */
  admit(target: string, retry: boolean, now: number): GuardVerdict;
  /** Records the outcome of an admitted call. `failure` is set for retryable failures only. */
  settle(
    target: string,
    outcome: { ok: boolean; retryable: boolean; retry: boolean; probe: boolean; retryAfterMs?: number },
    now: number,
  ): void;
  /** Targets whose jobs should not be claimed now (open breaker or Retry-After still running). */
  blockedTargets(now: number): string[];
  /** For metrics and tests: the breaker state of each target seen. */
  snapshot(now: number): Record<string, { breaker: BreakerState; holdUntil: number; failedRetries: number; calls: number }>;
}

/**
 * `perTarget` overrides the breaker for some targets (targets.yaml `policy.breaker`); the others
 * use `defaults`.
 */
export function createTargetGuards(
  defaults: BreakerSettings,
  budget: BudgetSettings,
  perTarget: ReadonlyMap<string, Partial<BreakerSettings>> = new Map(),
): TargetGuards {
  const states = new Map<string, TargetState>();
  const breakerOf = (target: string): BreakerSettings => ({ ...defaults, ...perTarget.get(target) });
  const bucketMs = Math.max(1, Math.floor(budget.windowMs / BUCKETS));

  const stateOf = (target: string): TargetState => {
    let state = states.get(target);
    if (!state) {
      state = {
        breaker: "closed",
        consecutiveFailures: 0,
        openedAt: 0,
        probing: false,
        holdUntil: 0,
        buckets: [],
        retriesInFlight: 0,
      };
      states.set(target, state);
    }
    return state;
  };

  const currentBucket = (state: TargetState, now: number) => {
    const start = now - (now % bucketMs);
    const horizon = now - budget.windowMs;
    while (state.buckets.length > 0 && (state.buckets[0]?.start ?? 0) <= horizon) state.buckets.shift();
    let last = state.buckets[state.buckets.length - 1];
    if (!last || last.start !== start) {
      last = { start, calls: 0, failedRetries: 0 };
      state.buckets.push(last);
    }
    return last;
  };

  const totals = (state: TargetState, now: number) => {
    currentBucket(state, now);
    let calls = 0;
    let failedRetries = 0;
    for (const bucket of state.buckets) {
      calls += bucket.calls;
      failedRetries += bucket.failedRetries;
    }
    return { calls, failedRetries };
  };

  return {
    admit(target, retry, now) {
      const state = stateOf(target);
      if (now < state.holdUntil) return { allowed: false, reason: "retry_after", until: state.holdUntil };
      let probe = false;
      const breaker = breakerOf(target);
      if (state.breaker === "open") {
        const reopensAt = state.openedAt + breaker.openMs;
        if (now < reopensAt) return { allowed: false, reason: "breaker_open", until: reopensAt };
        state.breaker = "half_open";
      }
      if (state.breaker === "half_open") {
        // One probe per half-open interval: the others wait for its verdict.
        if (state.probing) return { allowed: false, reason: "breaker_open", until: now + breaker.openMs };
        state.probing = true;
        probe = true;
      }
      if (retry && !probe) {
        const { calls, failedRetries } = totals(state, now);
        if (failedRetries + state.retriesInFlight >= budget.floor + budget.ratio * calls) {
          return { allowed: false, reason: "retry_budget", until: now + bucketMs };
        }
      }
      if (retry) state.retriesInFlight++;
      currentBucket(state, now).calls++;
      return { allowed: true, probe };
    },

    settle(target, outcome, now) {
      const state = stateOf(target);
      if (outcome.retry) state.retriesInFlight = Math.max(0, state.retriesInFlight - 1);
      if (outcome.probe) state.probing = false;
      if (outcome.retryAfterMs && outcome.retryAfterMs > 0)
        state.holdUntil = Math.max(state.holdUntil, now + outcome.retryAfterMs);
      if (outcome.ok || !outcome.retryable) {
        // A permanent rejection is an answer: the target is up.
        state.consecutiveFailures = 0;
        state.breaker = "closed";
        return;
      }
      if (outcome.retry) currentBucket(state, now).failedRetries++;
      state.consecutiveFailures++;
      if (outcome.probe || state.consecutiveFailures >= breakerOf(target).failureThreshold) {
        state.breaker = "open";
        state.openedAt = now;
      }
    },

    blockedTargets(now) {
      const blocked: string[] = [];
      for (const [target, state] of states) {
        if (now < state.holdUntil) blocked.push(target);
        else if (state.breaker === "open" && now < state.openedAt + breakerOf(target).openMs) blocked.push(target);
        else if (state.breaker === "half_open" && state.probing) blocked.push(target);
      }
      return blocked;
    },

    snapshot(now) {
      const out: Record<string, { breaker: BreakerState; holdUntil: number; failedRetries: number; calls: number }> = {};
      for (const [target, state] of states) {
        const { calls, failedRetries } = totals(state, now);
        out[target] = { breaker: state.breaker, holdUntil: state.holdUntil, failedRetries, calls };
      }
      return out;
    },
  };
}
