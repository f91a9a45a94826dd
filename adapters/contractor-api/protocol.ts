/**
 * Silta's contractor protocol on the wire: the shapes both directions share (the push Silta
 * sends, the feed Silta serves) and the status codes contractors report. The contractor-side
 * surface is described in `openapi.yaml`; Silta's side is generated from `src/http/contractor-api`.
 */
import type { CanonicalStatus } from "../../src/kernel/status.ts";
import type { WorkOrderPayload } from "../../src/ports/work-order-system.ts";
import type { components } from "./openapi.d.ts";

export type ProtocolWorkOrder = components["schemas"]["WorkOrder"];
export type WorkOrderMessage = components["schemas"]["WorkOrderMessage"];

/** The message types Silta pushes (and lists in the pull feed). */
export const MESSAGE_TYPES = ["work_order.created", "work_order.cancelled"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/**
 * The codes a contractor reports: Silta's canonical vocabulary in upper case. The core maps
 * them through `mappings/status/contractor-api.yaml`; anything else is quarantined there.
 */
export const REPORTED_STATUS_CODES = [
  "RECEIVED",
  "IN_PROGRESS",
  "COMPLETED",
  "SCHEDULED_LATER",
  "NO_ACTION",
  "INTERRUPTED",
  "WRONG_CONTRACTOR",
] as const;
export type ReportedStatusCode = (typeof REPORTED_STATUS_CODES)[number];

/** The protocol's code for a canonical status (`in_progress` → `IN_PROGRESS`). */
export function protocolStatusCode(status: CanonicalStatus): string {
  return status.toUpperCase();
}

/** The optional payload fields, in wire order. Only these are ever copied; nothing is added. */
const OPTIONAL_FIELDS = [
  "serviceName",
  "title",
  "description",
  "address",
  "lat",
  "long",
  "mediaUrls",
  "requestedAt",
  "dueAt",
  "reporterName",
  "reporterEmail",
  "reporterPhone",
] as const satisfies readonly (keyof WorkOrderPayload & keyof ProtocolWorkOrder)[];

/**
 * The wire form of an outbound work order. The payload has already been filtered by the target's
 * allowlist, so a field is copied exactly when it is present (a present `null` stays `null`: the
 * field is shared but empty for this case); `externalRef` travels as `workOrderId`.
 */
export function toProtocolWorkOrder(payload: WorkOrderPayload): ProtocolWorkOrder {
  const wire: ProtocolWorkOrder = {
    workOrderId: payload.externalRef,
    serviceRequestId: payload.serviceRequestId,
    serviceCode: payload.serviceCode,
  };
  const target = wire as Record<string, unknown>;
  for (const field of OPTIONAL_FIELDS) {
    const value = payload[field];
    if (value !== undefined) target[field] = Array.isArray(value) ? [...value] : value;
  }
  // Rework: the earlier cycle's work order, by Silta's reference (the contractor knows it by that id).
  if (payload.previousExternalRef) wire.previousWorkOrderId = payload.previousExternalRef;
  return wire;
}
