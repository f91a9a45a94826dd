import { z } from "zod";

/** Terminal statuses the simulated crew ends in, with their default relative weights. */
export const TERMINAL_WEIGHTS = {
  COMPLETED: 80,
  SCHEDULED_LATER: 7,
  NO_ACTION: 6,
  INTERRUPTED: 5,
  WRONG_CONTRACTOR: 2,
} as const;
export type TerminalStatus = keyof typeof TERMINAL_WEIGHTS;

/** The simulator's fault and behaviour switches; tests mutate the object or `POST /__sim/knobs`. */
export interface SimulatorKnobs {
  /** Added before answering each request from Silta. */
  latencyMs: number;
  /** Share of pushes answered 503 before anything is stored. */
  errorRate: number;
  /** Share of pushes answered 429 (with `Retry-After`) before anything is stored. */
  rateLimitRate: number;
  /** Share of pushes stored and then answered 503: the ambiguous "commit then fail". */
  commitThenFailRate: number;
  /** `Retry-After` seconds on 429 and 503 answers; null sends none. */
  retryAfterSeconds: number | null;
  /** Every request from Silta answers 503 (the contractor's system is down). */
  outage: boolean;
  /** Move received orders through RECEIVED → IN_PROGRESS → a terminal status by themselves. */
  autoProgress: boolean;
  /** Share of status events posted a second time with the same Idempotency-Key. */
  duplicateEventRate: number;
  /** Share of completed orders the crew sends a photo of (POST …/photos, a JPEG with GPS and camera EXIF). */
  photoRate: number;
  /** Honour `webhook-id` (store a re-sent message once); off simulates a contractor without de-duplication. */
  dedupeWebhooks: boolean;
  /** Delay between two status steps, drawn uniformly. */
  progress: { minDelayMs: number; maxDelayMs: number };
  terminalWeights: Record<TerminalStatus, number>;
  /**
   * Hostile answers (`../../stara/simulator/hostile.ts`): unknown fields and markup in every
   * answer, a contractor reference full of markup, crew notes full of markup, unknown fields in
   * every status event.
   */
  hostile: boolean;
  /** Share of pushes stored and then answered 200 with a broken JSON body. */
  malformedAnswerRate: number;
  /** The next this many pushes are stored and answered with broken JSON (counts down; deterministic). */
  malformedNext: number;
}

export function defaultKnobs(progress?: { minDelayMs: number; maxDelayMs: number }): SimulatorKnobs {
  return {
    latencyMs: 0,
    errorRate: 0,
    rateLimitRate: 0,
    commitThenFailRate: 0,
    retryAfterSeconds: null,
    outage: false,
    autoProgress: true,
    duplicateEventRate: 0,
    photoRate: 0,
    dedupeWebhooks: true,
    progress: progress ?? { minDelayMs: 500, maxDelayMs: 3_000 },
    terminalWeights: { ...TERMINAL_WEIGHTS },
    hostile: false,
    malformedAnswerRate: 0,
    malformedNext: 0,
  };
}

const rate = z.number().min(0).max(1);

/** A partial knobs update as accepted by `POST /__sim/knobs`. */
export const knobsUpdateSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(120_000),
    errorRate: rate,
    rateLimitRate: rate,
    commitThenFailRate: rate,
    retryAfterSeconds: z.number().int().min(0).max(3_600).nullable(),
    outage: z.boolean(),
    autoProgress: z.boolean(),
    duplicateEventRate: rate,
    photoRate: rate,
    dedupeWebhooks: z.boolean(),
    progress: z
      .object({ minDelayMs: z.number().int().min(0), maxDelayMs: z.number().int().min(0) })
      .refine((value) => value.minDelayMs <= value.maxDelayMs, "minDelayMs must not exceed maxDelayMs"),
    terminalWeights: z.object({
      COMPLETED: z.number().min(0),
      SCHEDULED_LATER: z.number().min(0),
      NO_ACTION: z.number().min(0),
      INTERRUPTED: z.number().min(0),
      WRONG_CONTRACTOR: z.number().min(0),
    }),
    hostile: z.boolean(),
    malformedAnswerRate: rate,
    malformedNext: z.number().int().min(0).max(1_000),
  })
  .partial()
  .strict();

/** Applies a validated update in place, so that holders of the knobs object see the change. */
export function applyKnobs(knobs: SimulatorKnobs, update: z.output<typeof knobsUpdateSchema>): SimulatorKnobs {
  const { terminalWeights, progress, ...flat } = update;
  Object.assign(knobs, flat);
  if (progress) knobs.progress = { ...progress };
  if (terminalWeights) knobs.terminalWeights = { ...terminalWeights };
  return knobs;
}
