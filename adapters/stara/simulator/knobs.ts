import { z } from "zod";
import type { StaraCrewTerminalStatus } from "../statuses.ts";

/**
 * The simulator's fault and behaviour knobs. Rates are probabilities per request or per event
 * (0..1), drawn from the simulator's seeded PRNG so that a seed replays the same faults.
 * Change them through `sim.setKnobs()` or `POST /__sim/knobs` (a partial object).
 */
export interface StaraSimKnobs {
  /** Added to every `/api/v1` request before it is handled. */
  latencyMs: number;
  /** Share of `/api/v1` requests answered 503 without any effect. */
  errorRate: number;
  /** Share of `/api/v1` requests answered 429 with `Retry-After`, without any effect. */
  rateLimitRate: number;
  /** The `Retry-After` (seconds) sent with injected 429 and outage 503 answers. */
  retryAfterSeconds: number;
  /** Every `/api/v1` request answers 503 (Stara is down). */
  outage: boolean;
  /** Share of creates that commit the work order and then answer 503 (the ambiguous failure). */
  commitThenErrorRate: number;
  /** Share of `/api/v1` requests that take effect and then answer 200 with a broken JSON body. */
  malformedResponseRate: number;
  /**
   * When false, Stara de-duplicates nothing: neither `Idempotency-Key` nor `ulkoinen_viite`,
   * so a repeated create makes a second work order (an ERP without idempotency support).
   */
  honourIdempotencyKey: boolean;
  /** Work orders move through their states on their own. Toggle with `setKnobs` so that paused ones resume. */
  autoProgress: boolean;
  /** Delay before each automatic step, drawn uniformly from this range. */
  progress: { minDelayMs: number; maxDelayMs: number };
  /** Relative weights of the state a crew ends a work order in. */
  terminalWeights: Record<StaraCrewTerminalStatus, number>;
  /** Share of webhook messages delivered a second time (same `webhook-id`, same events). */
  webhookDuplicateRate: number;
  /** Share of events held back by about `webhookShuffleDelayMs`, so later ones overtake them. */
  webhookShuffleRate: number;
  webhookShuffleDelayMs: number;
  /** Events produced within this window go out in one message (0: the same tick only). */
  webhookBatchWindowMs: number;
  /** Delivery attempts per message before Stara gives up on it (the change feed still has it). */
  webhookMaxAttempts: number;
  /** First retry delay; doubles with each attempt. */
  webhookRetryBaseMs: number;
  /** How long Stara waits for Silta to answer a webhook. */
  webhookTimeoutMs: number;
  /**
   * Hostile answers (`hostile.ts`): crew notes full of markup and far too long, unknown fields in
   * every event and every JSON answer. What a compromised or careless ERP might send.
   */
  hostile: boolean;
  /** The next this many `/api/v1` answers are broken JSON after taking effect (counts down; deterministic). */
  malformedNext: number;
  /**
   * Service codes Stara does not handle: a create naming one is refused with 422 every time, as
   * an ERP refuses work outside its contract (a permanent refusal, for dead-letter tests).
   */
  refusedServiceCodes: string[];
  /** Share of completions (VALMIS) that carry a photo of the finished work (`liitteet`). */
  photoRate: number;
}

export const DEFAULT_PROGRESS = { minDelayMs: 1_000, maxDelayMs: 5_000 } as const;

/** Fresh knobs: no faults, idempotent, progressing on its own. */
export function defaultKnobs(progress: { minDelayMs: number; maxDelayMs: number } = DEFAULT_PROGRESS): StaraSimKnobs {
  return {
    latencyMs: 0,
    errorRate: 0,
    rateLimitRate: 0,
    retryAfterSeconds: 1,
    outage: false,
    commitThenErrorRate: 0,
    malformedResponseRate: 0,
    honourIdempotencyKey: true,
    autoProgress: true,
    progress: { ...progress },
    terminalWeights: {
      VALMIS: 80,
      SIIRRETTY_MYÖHEMMÄKSI: 7,
      EI_TOIMENPITEITÄ: 6,
      KESKEYTETTY: 5,
      VÄÄRÄ_URAKKA: 2,
    },
    webhookDuplicateRate: 0,
    webhookShuffleRate: 0,
    webhookShuffleDelayMs: 200,
    webhookBatchWindowMs: 0,
    webhookMaxAttempts: 4,
    webhookRetryBaseMs: 100,
    webhookTimeoutMs: 5_000,
    hostile: false,
    malformedNext: 0,
    refusedServiceCodes: [],
    photoRate: 0,
  };
}

const rate = z.number().min(0).max(1);
const millis = z.number().int().min(0).max(3_600_000);
const weight = z.number().min(0);

/** A partial knobs object as accepted by `POST /__sim/knobs` and `setKnobs`. */
export const knobsPatchSchema = z.strictObject({
  latencyMs: millis.optional(),
  errorRate: rate.optional(),
  rateLimitRate: rate.optional(),
  retryAfterSeconds: z.number().int().min(0).max(3_600).optional(),
  outage: z.boolean().optional(),
  commitThenErrorRate: rate.optional(),
  malformedResponseRate: rate.optional(),
  honourIdempotencyKey: z.boolean().optional(),
  autoProgress: z.boolean().optional(),
  progress: z
    .strictObject({ minDelayMs: millis, maxDelayMs: millis })
    .refine((range) => range.minDelayMs <= range.maxDelayMs, "minDelayMs must not exceed maxDelayMs")
    .optional(),
  terminalWeights: z
    .strictObject({
      VALMIS: weight.optional(),
      SIIRRETTY_MYÖHEMMÄKSI: weight.optional(),
      EI_TOIMENPITEITÄ: weight.optional(),
      KESKEYTETTY: weight.optional(),
      VÄÄRÄ_URAKKA: weight.optional(),
    })
    .optional(),
  webhookDuplicateRate: rate.optional(),
  photoRate: rate.optional(),
  webhookShuffleRate: rate.optional(),
  webhookShuffleDelayMs: millis.optional(),
  webhookBatchWindowMs: millis.optional(),
  webhookMaxAttempts: z.number().int().min(1).max(20).optional(),
  webhookRetryBaseMs: millis.optional(),
  webhookTimeoutMs: millis.optional(),
  hostile: z.boolean().optional(),
  malformedNext: z.number().int().min(0).max(1_000).optional(),
  refusedServiceCodes: z.array(z.string().max(100)).max(100).optional(),
});
export type StaraSimKnobsPatch = z.infer<typeof knobsPatchSchema>;

/** Applies a validated patch in place, so that every holder of the knobs object sees the change. */
export function applyKnobsPatch(knobs: StaraSimKnobs, patch: StaraSimKnobsPatch): void {
  const { progress, terminalWeights, ...flat } = patch;
  for (const [key, value] of Object.entries(flat)) {
    if (value !== undefined) Object.assign(knobs, { [key]: value });
  }
  if (progress) knobs.progress = { ...progress };
  if (terminalWeights) {
    for (const [status, value] of Object.entries(terminalWeights)) {
      if (value !== undefined) knobs.terminalWeights[status as StaraCrewTerminalStatus] = value;
    }
  }
}
