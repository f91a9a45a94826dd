import type { CaseStatusUpdate } from "../../src/ports/case-system.ts";
import type {
  FieldEvent,
  RemoteWorkOrder,
  WorkOrderPage,
  WorkOrderPayload,
  WorkOrderSystem,
} from "../../src/ports/work-order-system.ts";
import { FakeCaseSystem } from "../support/fakes.ts";

/**
 * A target for reconciliation tests: holds orders by reference with the target's own status
 * codes, can lose or change them silently, and can list them (or not, like a contractor).
 */
export class DriftingTarget implements WorkOrderSystem {
  readonly targetId: string;
  readonly orders = new Map<string, RemoteWorkOrder>();
  /** Extra orders no link knows (a stray, or a duplicate under a known reference). */
  readonly strays: RemoteWorkOrder[] = [];
  creates = 0;
  lookups = 0;
  listWorkOrders?: (cursor: string | null) => Promise<WorkOrderPage>;
  private sequence = 0;
  private readonly firstCode: string;

  constructor(targetId: string, options: { listing: boolean; firstCode: string; pageSize?: number }) {
    this.targetId = targetId;
    this.firstCode = options.firstCode;
    const pageSize = options.pageSize ?? 2;
    if (options.listing) {
      this.listWorkOrders = async (cursor) => {
        const all = [...this.orders.values(), ...this.strays];
        const start = cursor === null ? 0 : Number(cursor);
        const items = all.slice(start, start + pageSize);
        return { items, nextCursor: start + pageSize < all.length ? String(start + pageSize) : null };
      };
    }
  }
  async createWorkOrder(order: WorkOrderPayload): Promise<RemoteWorkOrder> {
    this.creates++;
    const existing = this.orders.get(order.externalRef);
    if (existing) return existing;
    this.sequence++;
    const created = {
      workOrderId: `${this.targetId}-${this.sequence}`,
      externalRef: order.externalRef,
      statusCode: this.firstCode,
    };
    this.orders.set(order.externalRef, created);
    return created;
  }
  async findByExternalRef(ref: string): Promise<RemoteWorkOrder | null> {
    this.lookups++;
    return this.orders.get(ref) ?? null;
  }
  async cancelWorkOrder(): Promise<void> {}
  async verifyWebhook(): Promise<FieldEvent[]> {
    return [];
  }
  setStatusSilently(ref: string, statusCode: string): void {
    const order = this.orders.get(ref);
    if (!order) throw new Error(`no order ${ref}`);
    this.orders.set(ref, { ...order, statusCode });
  }
}

/** A case system whose cases show what was written back, as Helsinki's `detailed_status` does. */
export class WritableCaseSystem extends FakeCaseSystem {
  override async postStatusUpdate(update: CaseStatusUpdate): Promise<{ updateId: string }> {
    const result = await super.postStatusUpdate(update);
    const record = this.cases.get(update.serviceRequestId);
    if (record && update.externalStatusCode)
      this.cases.set(record.serviceRequestId, { ...record, worksStatus: update.externalStatusCode });
    return result;
  }
  /** The city's system loses the public-works status (a dropped write-back). */
  dropWorksStatus(id: string): void {
    const record = this.cases.get(id);
    if (record) this.cases.set(id, { ...record, worksStatus: null });
  }
}
