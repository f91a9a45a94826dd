import type { WorkOrderPayload } from "../../src/ports/work-order-system.ts";
import type { components } from "./openapi.d.ts";

export type StaraCreateBody = components["schemas"]["TyotilausPyynto"];
type StaraReporter = components["schemas"]["Ilmoittaja"];

/**
 * The longest strings Stara accepts in a create body (`TyotilausPyynto` and `Ilmoittaja` in
 * `openapi.yaml`; keep the two in step), in UTF-16 code units as Stara counts them. Longer texts
 * are shortened for Stara, since it refuses the whole order with 422 otherwise; Silta's case
 * snapshot keeps the full text. The ids (`ulkoinen_viite` 200, `palautteen_tunnus` 100) are never
 * cut: a cut id would name another order, and Silta's ids fit.
 */
export const STARA_CREATE_LIMITS = {
  palvelukoodi: 100,
  palvelun_nimi: 200,
  otsikko: 200,
  kuvaus: 5000,
  osoite: 500,
  /** Per media URL; a longer URL is left out (a cut URL points nowhere). */
  liite: 2000,
  /** Media URLs per order; the first ones are kept. */
  liitteet: 20,
  ilmoittaja_nimi: 200,
  ilmoittaja_sahkoposti: 254,
  ilmoittaja_puhelin: 50,
} as const;

/**
 * Maps Silta's work order to Stara's create body. The payload was already cut down to the
 * target's field allowlist, so this adds nothing: an optional field goes out only when the
 * payload carries a value for it (absent and null both mean "not shared"), and the location
 * only when both coordinates are there. Texts longer than Stara accepts are shortened to its
 * limits (`STARA_CREATE_LIMITS`), ending in "…".
 */
export function toStaraCreateBody(order: WorkOrderPayload): StaraCreateBody {
  const body: StaraCreateBody = {
    ulkoinen_viite: order.externalRef,
    palautteen_tunnus: order.serviceRequestId,
    palvelukoodi: fitText(order.serviceCode, STARA_CREATE_LIMITS.palvelukoodi),
  };
  if (hasValue(order.serviceName)) body.palvelun_nimi = fitText(order.serviceName, STARA_CREATE_LIMITS.palvelun_nimi);
  if (hasValue(order.title)) body.otsikko = fitText(order.title, STARA_CREATE_LIMITS.otsikko);
  if (hasValue(order.description)) body.kuvaus = fitText(order.description, STARA_CREATE_LIMITS.kuvaus);
  if (hasValue(order.address)) body.osoite = fitText(order.address, STARA_CREATE_LIMITS.osoite);
  if (typeof order.lat === "number" && typeof order.long === "number") body.sijainti = { lat: order.lat, lon: order.long };
  if (order.mediaUrls !== undefined) {
    body.liitteet = order.mediaUrls
      .filter((url) => url.length <= STARA_CREATE_LIMITS.liite)
      .slice(0, STARA_CREATE_LIMITS.liitteet);
  }
  if (hasValue(order.requestedAt)) body.ilmoitettu = order.requestedAt;
  if (hasValue(order.dueAt)) body.maaraaika = order.dueAt;
  if (order.previousExternalRef) body.edellinen_viite = order.previousExternalRef;
  const reporter = toStaraReporter(order);
  if (reporter) body.ilmoittaja = reporter;
  return body;
}

function toStaraReporter(order: WorkOrderPayload): StaraReporter | null {
  const reporter: StaraReporter = {};
  if (hasValue(order.reporterName)) reporter.nimi = fitText(order.reporterName, STARA_CREATE_LIMITS.ilmoittaja_nimi);
  if (hasValue(order.reporterEmail)) {
    reporter.sahkoposti = fitText(order.reporterEmail, STARA_CREATE_LIMITS.ilmoittaja_sahkoposti);
  }
  if (hasValue(order.reporterPhone)) reporter.puhelin = fitText(order.reporterPhone, STARA_CREATE_LIMITS.ilmoittaja_puhelin);
  return Object.keys(reporter).length > 0 ? reporter : null;
}

function hasValue(value: string | null | undefined): value is string {
  return typeof value === "string";
}

/**
 * The text within `maxChars` UTF-16 code units: as it is when it fits, else cut and ended with
 * "…" (the ellipsis counts). The cut never splits a surrogate pair.
 */
export function fitText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
