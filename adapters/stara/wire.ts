import { z } from "zod";

/**
 * What Silta accepts from Stara, checked at the boundary: a 2xx answer or webhook that does not
 * fit is a bad response, never half-read. Schemas are deliberately lenient where Stara may grow
 * (extra fields are dropped) and strict where Silta relies on a value (ids, state, time).
 * The state stays a plain string: an unknown code must reach core to be quarantined, not
 * rejected here.
 */

const nonEmpty = z.string().min(1);
/** Ids Silta stores and shows: longer than this is not Stara's id but garbage, refused. */
const id = nonEmpty.max(200);
/** Free text and status codes are cut to a length Silta stores and shows, rather than losing the event. */
const clipped = (max: number) => z.string().transform((text) => (text.length > max ? text.slice(0, max) : text));
/** Longest status code Silta keeps (an unknown one is quarantined, so it is shown to admins). */
export const STARA_STATUS_CHARS = 100;
/** Longest crew note Silta keeps, as for contractors. */
export const STARA_NOTE_CHARS = 2_000;

/** The fields of a work order Silta reads. */
export const staraWorkOrderSchema = z.object({
  tunnus: id,
  ulkoinen_viite: id,
  tila: nonEmpty.pipe(clipped(STARA_STATUS_CHARS)),
});
export type StaraWorkOrderWire = z.output<typeof staraWorkOrderSchema>;

export const staraWorkOrderListSchema = z.object({
  tyotilaukset: z.array(staraWorkOrderSchema),
});

/** One status change, as pushed in a webhook and as listed in the change feed. */
export const staraEventSchema = z.object({
  tapahtuma_id: id,
  tunnus: id,
  ulkoinen_viite: id,
  tila: nonEmpty.pipe(clipped(STARA_STATUS_CHARS)),
  aikaleima: z.iso.datetime({ offset: true }),
  huomautus: clipped(STARA_NOTE_CHARS).nullish(),
  liitteet: z
    .array(
      z.object({
        laji: z.enum(["ennen", "jalkeen", "valmis"]),
        tyyppi: z.string().max(100).optional(),
        sisalto: z.base64(),
      }),
    )
    .max(5)
    .optional(),
});
export type StaraEventWire = z.output<typeof staraEventSchema>;

export const staraWebhookBodySchema = z.object({
  tapahtumat: z.array(staraEventSchema).min(1).max(100),
});

export const staraChangePageSchema = z.object({
  muutokset: z.array(staraEventSchema),
  seuraava: nonEmpty,
  lisaa: z.boolean(),
});

/** Stara's error body; read only for its stable code. */
export const staraErrorBodySchema = z.object({
  virhe: z.object({ koodi: z.string(), viesti: z.string().optional() }),
});

/** Stara's stable error code from an error body, or null when the body is not Stara's shape. */
export function staraErrorCode(body: unknown): string | null {
  const parsed = staraErrorBodySchema.safeParse(body);
  return parsed.success ? parsed.data.virhe.koodi : null;
}

/** Issue paths of a failed parse, without the values (which may carry personal data). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.code}`)
    .join("; ");
}
