import { z } from "zod";

/**
 * Fault knobs of the Helsinki simulator, settable per run (and at run time through
 * `POST /__sim/knobs`) so that tests and the sandbox can make the city misbehave on purpose.
 */
export interface SimKnobs {
  /** Added delay on every Open311 call. */
  latencyMs: number;
  /** Probability in [0, 1] that an Open311 call answers 503 (drawn from the seeded generator). */
  errorRate: number;
  /**
   * List calls by `updated_after`/`updated_before` also return rows updated within
   * DUPLICATE_EDGE_MS outside the window, so rows at window edges come back in both neighbours,
   * as Helsinki was seen to do.
   */
  duplicateAcrossWindows: boolean;
  /** Serve `lat`/`long` as strings, as Helsinki did in some periods. */
  latLongAsStrings: boolean;
  /** Every Open311 call answers 503. */
  outage: boolean;
  /** Reads (GET: lists, single cases, services) answer 503; writes still work: the read API down. */
  readOutage: boolean;
  /**
   * Publishing a moderated case leaves its `updated_datetime` alone (instead of moving it to the
   * moment of publication): a case published 20 minutes after its last update then appears in a
   * window a poller looking back minutes has already walked past.
   */
  publishKeepsUpdatedTime: boolean;
}

export const DUPLICATE_EDGE_MS = 60_000;

export const DEFAULT_KNOBS: SimKnobs = {
  latencyMs: 0,
  errorRate: 0,
  duplicateAcrossWindows: false,
  latLongAsStrings: false,
  outage: false,
  readOutage: false,
  publishKeepsUpdatedTime: false,
};

/** A partial knob setting as accepted by `setKnobs` and `POST /__sim/knobs`; unknown keys are refused. */
export const knobPatchSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  duplicateAcrossWindows: z.boolean().optional(),
  latLongAsStrings: z.boolean().optional(),
  outage: z.boolean().optional(),
  readOutage: z.boolean().optional(),
  publishKeepsUpdatedTime: z.boolean().optional(),
});
export type SimKnobPatch = z.infer<typeof knobPatchSchema>;
