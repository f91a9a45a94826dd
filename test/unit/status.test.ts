import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CANONICAL_STATUSES, type CanonicalStatus, isTerminal, judgeTransition } from "../../src/kernel/status.ts";

describe("judgeTransition", () => {
  it.each<[CanonicalStatus, CanonicalStatus, boolean | string]>([
    ["pending", "sent", true],
    ["pending", "in_progress", true],
    ["sent", "received", true],
    ["sent", "completed", true],
    ["received", "in_progress", true],
    ["in_progress", "completed", true],
    ["in_progress", "scheduled_later", true],
    ["in_progress", "wrong_contractor", true],
    ["received", "received", "duplicate"],
    ["in_progress", "received", "stale"],
    ["in_progress", "sent", "stale"],
    ["completed", "in_progress", "after_terminal"],
    ["completed", "no_action", "after_terminal"],
    ["cancelled", "completed", "after_terminal"],
    ["interrupted", "completed", "after_terminal"],
  ])("%s → %s", (from, to, expected) => {
    const verdict = judgeTransition(from, to);
    if (expected === true) expect(verdict).toEqual({ apply: true });
    else expect(verdict).toEqual({ apply: false, reason: expected });
  });

  it("history never moves backwards, whatever order events arrive in", () => {
    const status = fc.constantFrom(...CANONICAL_STATUSES);
    fc.assert(
      fc.property(fc.array(status, { maxLength: 20 }), (events) => {
        let current: CanonicalStatus = "pending";
        const applied: CanonicalStatus[] = [];
        for (const next of events) {
          if (judgeTransition(current, next).apply) {
            applied.push(next);
            current = next;
          }
        }
        // At most one terminal status, and it is the last one applied.
        const terminals = applied.filter(isTerminal);
        expect(terminals.length).toBeLessThanOrEqual(1);
        if (terminals.length === 1) expect(applied.at(-1)).toBe(terminals[0]);
        // No status is applied twice.
        expect(new Set(applied).size).toBe(applied.length);
      }),
    );
  });
});
