import type { SiltaDeps } from "../deps.ts";
import { DeferJobError } from "./job-errors.ts";
import type { OutboxJob } from "./store.ts";
import { type BreakerSettings, createTargetGuards, type GuardVerdict, type TargetGuards } from "./target-guard.ts";

/** Guards kept per deps object when the runtime did not create them (tests, the Worker). */
const implicitGuards = new WeakMap<SiltaDeps, TargetGuards>();

/** The process's per-target breaker, budget and Retry-After state. */
export function targetGuardsOf(deps: SiltaDeps): TargetGuards {
  if (deps.targetGuards) return deps.targetGuards;
  let guards = implicitGuards.get(deps);
  if (!guards) {
    guards = createTargetGuards(deps.settings.breaker, deps.settings.budget, breakerOverrides(deps));
    implicitGuards.set(deps, guards);
  }
  return guards;
}

/** The per-target breaker settings of targets.yaml (`policy.breaker`). */
export function breakerOverrides(deps: Pick<SiltaDeps, "mappings">): Map<string, Partial<BreakerSettings>> {
  const overrides = new Map<string, Partial<BreakerSettings>>();
  for (const target of deps.mappings.targets.values()) {
    const { failureThreshold, openMs } = target.policy.breaker;
    overrides.set(target.id, {
      ...(failureThreshold !== undefined ? { failureThreshold } : {}),
      ...(openMs !== undefined ? { openMs } : {}),
    });
  }
  return overrides;
}

/**
 * The admission of one attempt to its target: asked right before the first external call, so
 * that a job that needs no call (already confirmed, withdrawn before delivery) never counts as
 * a call or a half-open probe.
 */
export interface CallGate {
  /** Throws DeferJobError when the target may not be called now. */
  enter(): void;
  verdict: Extract<GuardVerdict, { allowed: true }> | null;
}

export function createCallGate(deps: SiltaDeps, job: OutboxJob): CallGate {
  const gate: CallGate = {
    verdict: null,
    enter() {
      if (gate.verdict) return;
      const verdict = targetGuardsOf(deps).admit(job.target, job.attempts > 1, deps.now().getTime());
      if (!verdict.allowed) throw new DeferJobError(verdict.reason, verdict.until);
      gate.verdict = verdict;
    },
  };
  return gate;
}
