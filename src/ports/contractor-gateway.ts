import type { CanonicalStatus } from "../kernel/status.ts";
import type { FieldEvent, WorkOrderPayload } from "./work-order-system.ts";

/**
 * What Silta's contractor API (`/api/contractor/v1`) needs from the core. The HTTP routes
 * authenticate, validate and shape answers; the core (backed by the database) implements this.
 */
export interface ContractorWorkOrderView {
  /** The work order's id in the contractor protocol: Silta's external reference. */
  workOrderId: string;
  serviceRequestId: string;
  targetId: string;
  status: CanonicalStatus;
  /** The allowlisted, scrubbed payload that was disclosed to this contractor. */
  payload: WorkOrderPayload;
  cancelled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ContractorFeedItem {
  /** Opaque, increasing position in the contractor's feed. */
  cursor: string;
  type: "work_order.created" | "work_order.cancelled";
  workOrder: ContractorWorkOrderView;
}

export type RecordEventOutcome =
  /** Stored for processing; answer 202. */
  | { outcome: "accepted"; eventId: string }
  /** Same Idempotency-Key and same body as before: answer as the first time. */
  | { outcome: "replayed"; eventId: string }
  /** Same Idempotency-Key, different body: answer 422. */
  | { outcome: "conflict" }
  /** Not this contractor's work order (or none such): answer 404. */
  | { outcome: "not_found" };

export interface ContractorGateway {
  /** The contractor (target id) a bearer API key belongs to, or null. */
  authenticate(apiKey: string): Promise<{ targetId: string } | null>;
  /** Work-order events for this contractor after `cursor` (null: from the start), oldest first. */
  listFeed(
    targetId: string,
    cursor: string | null,
    limit: number,
  ): Promise<{ items: ContractorFeedItem[]; nextCursor: string | null }>;
  /** One of this contractor's own work orders, or null (also for another contractor's). */
  getWorkOrder(targetId: string, workOrderId: string): Promise<ContractorWorkOrderView | null>;
  /** Stores an acknowledgement or status event in the inbox, de-duplicated by Idempotency-Key. */
  recordEvent(targetId: string, event: FieldEvent, idempotency: { key: string; bodyHash: string }): Promise<RecordEventOutcome>;
}
