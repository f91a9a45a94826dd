import { filterMediaUrls, mediaPolicy, type OutboundPolicy } from "../lib/outbound-guard.ts";
import type { TargetMapping } from "../mappings/mappings.ts";
import type { CaseRecord } from "../ports/case-system.ts";
import type { WorkOrderPayload } from "../ports/work-order-system.ts";
import { scrubOptional } from "./scrub.ts";

/** `<city>:<service_request_id>:<target>`, with the round appended after a reopen. Identical on every attempt. */
export function externalRefFor(city: string, serviceRequestId: string, target: string, round = 1): string {
  return round === 1 ? `${city}:${serviceRequestId}:${target}` : `${city}:${serviceRequestId}:${target}:r${round}`;
}

/** The city's 7-day answer promise, or the target's own completion term, from the report time. */
export function dueAtFor(record: CaseRecord, target: TargetMapping): string | null {
  if (!record.requestedAt) return null;
  const requested = Date.parse(record.requestedAt);
  if (Number.isNaN(requested)) return null;
  return new Date(requested + target.sla.completeDays * 86_400_000).toISOString();
}

/**
 * Which media URLs a work order may carry (S5): contractors fetch them, so only https URLs on the
 * allowed hosts (`SILTA_MEDIA_HOSTS`, default the city's `asiointi.hel.fi`) are forwarded.
 */
export interface MediaFilter {
  policy: OutboundPolicy;
  /** Told how many media URLs one payload dropped (a metric: a count per target, never the URLs). */
  onDropped?: (targetId: string, count: number) => void;
  /**
   * Silta's own published photos (`<public URL>/photos/`): a photo the field sent and a handler
   * published to the case comes back in the case's media; it is never sent to a contractor as if
   * the citizen had sent it (no echo).
   */
  ownPhotoBase?: string;
}

export const DEFAULT_MEDIA_FILTER: MediaFilter = { policy: mediaPolicy() };

/** A rework's link to the cycle before it: `…:r3` follows `…:r2`, and `…:r2` the first order (no suffix). */
function previousCycle(externalRef: string): { previousExternalRef?: string } {
  const match = /^(.*):r(\d+)$/.exec(externalRef);
  if (!match?.[1] || !match[2]) return {};
  const round = Number(match[2]);
  return { previousExternalRef: round <= 2 ? match[1] : `${match[1]}:r${round - 1}` };
}

/**
 * Builds the work order a target receives, from its allowlist only: a field absent from the
 * allowlist is absent from the payload, and free text is scrubbed of e-mails, phone numbers and
 * personal identity codes even where the field is allowed. Media URLs pass the media filter.
 */
export function buildWorkOrderPayload(
  record: CaseRecord,
  target: TargetMapping,
  externalRef: string,
  media: MediaFilter = DEFAULT_MEDIA_FILTER,
): WorkOrderPayload {
  const allow = target.allowlist;
  // The reporter's own names are removed from free text wherever they stand.
  const knownNames = record.reporter ? [record.reporter.firstName, record.reporter.lastName] : [];
  const payload: WorkOrderPayload = {
    externalRef,
    serviceRequestId: record.serviceRequestId,
    serviceCode: record.serviceCode,
    ...previousCycle(externalRef),
  };
  if (allow.has("serviceName")) payload.serviceName = record.serviceName;
  if (allow.has("title")) payload.title = scrubOptional(record.title, knownNames);
  if (allow.has("description")) payload.description = scrubOptional(record.description, knownNames);
  // Citizens type the address too ("…, yhteyshenkilö: <name> puh. …"): it is free text like the rest.
  if (allow.has("address")) payload.address = scrubOptional(record.address, knownNames);
  if (allow.has("location")) {
    payload.lat = record.lat;
    payload.long = record.long;
  }
  if (allow.has("mediaUrls")) {
    const own = media.ownPhotoBase;
    const citizens = own ? record.mediaUrls.filter((url) => !url.startsWith(own)) : record.mediaUrls;
    const { kept, dropped } = filterMediaUrls(citizens, media.policy);
    payload.mediaUrls = kept;
    if (dropped > 0) media.onDropped?.(target.id, dropped);
  }
  if (allow.has("requestedAt")) payload.requestedAt = record.requestedAt;
  if (allow.has("dueAt")) payload.dueAt = dueAtFor(record, target);
  const reporter = record.reporter;
  if (reporter) {
    if (allow.has("reporterName")) {
      const name = [reporter.firstName, reporter.lastName].filter(Boolean).join(" ");
      payload.reporterName = name || null;
    }
    if (allow.has("reporterEmail")) payload.reporterEmail = reporter.email;
    if (allow.has("reporterPhone")) payload.reporterPhone = reporter.phone;
  }
  return payload;
}
