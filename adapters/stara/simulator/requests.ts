import { z } from "zod";
import type { components } from "../openapi.d.ts";
import { STARA_STATUSES } from "../statuses.ts";

/**
 * What the simulated Stara accepts, as `openapi.yaml` states it. Strict on purpose: an unknown
 * field is refused with 422, so a client that sends anything beyond the documented body (for
 * example a field its allowlist did not grant) fails loudly in tests.
 */

const offsetDateTime = z.iso.datetime({ offset: true });

export const createRequestSchema = z.strictObject({
  ulkoinen_viite: z.string().min(1).max(200),
  palautteen_tunnus: z.string().min(1).max(100),
  palvelukoodi: z.string().min(1).max(100),
  palvelun_nimi: z.string().max(200).optional(),
  otsikko: z.string().max(200).optional(),
  kuvaus: z.string().max(5000).optional(),
  osoite: z.string().max(500).optional(),
  sijainti: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
  liitteet: z
    .array(z.url({ protocol: /^https?$/ }).max(2000))
    .max(20)
    .optional(),
  ilmoitettu: offsetDateTime.optional(),
  maaraaika: offsetDateTime.optional(),
  edellinen_viite: z.string().min(1).max(200).optional(),
  ilmoittaja: z
    .strictObject({
      nimi: z.string().max(200).optional(),
      sahkoposti: z.string().max(254).optional(),
      puhelin: z.string().max(50).optional(),
    })
    .optional(),
}) satisfies z.ZodType<components["schemas"]["TyotilausPyynto"]>;
export type CreateRequest = z.infer<typeof createRequestSchema>;

export const cancelRequestSchema = z.strictObject({
  syy: z.string().min(1).max(500),
}) satisfies z.ZodType<components["schemas"]["PeruutusPyynto"]>;

export const statusRequestSchema = z.strictObject({ tila: z.enum(STARA_STATUSES) });

export const webhookTargetRequestSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).nullable(),
  secrets: z.array(z.string().startsWith("whsec_")).min(1).optional(),
});

/** Issue paths and codes of a failed parse (no values), for Stara's `viesti`. */
export function issueSummary(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(runko)"}: ${issue.message}`)
    .join("; ");
}
