/**
 * WorkOrderSystem port: a contractor's or Stara's work-order system. Core code talks only to
 * this interface; each folder in `adapters/` implements it for one kind of target.
 */
import type { HeaderMap } from "../lib/webhook-signature.ts";

/**
 * The outbound work order. Core builds it from the case through the target's field allowlist:
 * an optional field is present only when the target's mapping allows it, and free text has
 * already been scrubbed of e-mails, phone numbers and personal identity codes.
 */
export interface WorkOrderPayload {
  /** Deterministic reference, identical on every attempt: `<city>:<service_request_id>:<target>`. */
  externalRef: string;
  serviceRequestId: string;
  serviceCode: string;
  serviceName?: string | null;
  title?: string | null;
  description?: string | null;
  address?: string | null;
  lat?: number | null;
  long?: number | null;
  mediaUrls?: string[];
  requestedAt?: string | null;
  /** When the city expects the work done (the case's SLA), ISO 8601. */
  dueAt?: string | null;
  /** Rework: the reference of the earlier cycle's work order on the same case (Silta's own id, never personal data). */
  previousExternalRef?: string;
  reporterName?: string | null;
  reporterEmail?: string | null;
  reporterPhone?: string | null;
}

/** A work order as the target reports it, with the target's own status code. */
export interface RemoteWorkOrder {
  workOrderId: string;
  externalRef: string;
  /** The target's raw status code (e.g. Stara's `TYÖN_ALLA`). */
  statusCode: string;
}

/** One field-status event from a target, before mapping to canonical status. */
export interface FieldEvent {
  /** The sender's event id: applied at most once. */
  eventId: string;
  externalRef: string;
  workOrderId: string | null;
  /** The target's raw status code; mapped through `mappings/status/<target>.yaml`. */
  statusCode: string;
  /** When the status changed on the target's side, ISO 8601. */
  occurredAt: string;
  /** Free text from the field crew; scrubbed before it is stored or written back. */
  note: string | null;
  /** Photos sent with the change (Stara's inline attachments), before any check: domain/photos takes them. */
  photos?: { kind: "before" | "after" | "completion"; bytes: Uint8Array }[];
}

/** Headers as a plain lower-cased map, so that adapters need no framework types. */
export type { HeaderMap };

export interface WorkOrderSystem {
  readonly targetId: string;
  /**
   * Creates the work order. Safe to repeat with the same key: a target that honours
   * `Idempotency-Key` answers with the existing order; for others callers look up first.
   */
  createWorkOrder(order: WorkOrderPayload, idempotencyKey: string): Promise<RemoteWorkOrder>;
  /** Finds a work order by Silta's external reference, or null. */
  findByExternalRef(externalRef: string): Promise<RemoteWorkOrder | null>;
  /** Withdraws the work order (the city cancelled or closed the case). Idempotent. */
  cancelWorkOrder(order: { workOrderId: string | null; externalRef: string }, reason: string): Promise<void>;
  /**
   * Verifies an inbound webhook (signature, timestamp window) and parses its events.
   * Throws SiltaError `webhook_signature_invalid` or `webhook_malformed`.
   */
  verifyWebhook(headers: HeaderMap, rawBody: string): Promise<FieldEvent[]>;
  /**
   * Lists every work order the target holds, a page at a time (`cursor` null: from the start).
   * Optional: reconciliation uses it to find work orders Silta does not know; without it,
   * reconciliation looks each open link up by external reference instead.
   */
  listWorkOrders?(cursor: string | null): Promise<WorkOrderPage>;
}

/** One page of a target's work orders; `nextCursor` null on the last page. */
export interface WorkOrderPage {
  items: RemoteWorkOrder[];
  nextCursor: string | null;
}
