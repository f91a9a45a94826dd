import type { WorkOrderPayload } from "../../src/ports/work-order-system.ts";
import type { components } from "./openapi.d.ts";

export type StaraCreateBody = components["schemas"]["TyotilausPyynto"];
type StaraReporter = components["schemas"]["Ilmoittaja"];

/**
 * Maps Silta's work order to Stara's create body. The payload was already cut down to the
 * target's field allowlist, so this adds nothing: an optional field goes out only when the
 * payload carries a value for it (absent and null both mean "not shared"), and the location
 * only when both coordinates are there.
 */
export function toStaraCreateBody(order: WorkOrderPayload): StaraCreateBody {
  const body: StaraCreateBody = {
    ulkoinen_viite: order.externalRef,
    palautteen_tunnus: order.serviceRequestId,
    palvelukoodi: order.serviceCode,
  };
  if (hasValue(order.serviceName)) body.palvelun_nimi = order.serviceName;
  if (hasValue(order.title)) body.otsikko = order.title;
  if (hasValue(order.description)) body.kuvaus = order.description;
  if (hasValue(order.address)) body.osoite = order.address;
  if (typeof order.lat === "number" && typeof order.long === "number") body.sijainti = { lat: order.lat, lon: order.long };
  if (order.mediaUrls !== undefined) body.liitteet = [...order.mediaUrls];
  if (hasValue(order.requestedAt)) body.ilmoitettu = order.requestedAt;
  if (hasValue(order.dueAt)) body.maaraaika = order.dueAt;
  const reporter = toStaraReporter(order);
  if (reporter) body.ilmoittaja = reporter;
  return body;
}

function toStaraReporter(order: WorkOrderPayload): StaraReporter | null {
  const reporter: StaraReporter = {};
  if (hasValue(order.reporterName)) reporter.nimi = order.reporterName;
  if (hasValue(order.reporterEmail)) reporter.sahkoposti = order.reporterEmail;
  if (hasValue(order.reporterPhone)) reporter.puhelin = order.reporterPhone;
  return Object.keys(reporter).length > 0 ? reporter : null;
}

function hasValue(value: string | null | undefined): value is string {
  return typeof value === "string";
}
