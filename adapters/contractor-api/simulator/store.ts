import type { ProtocolWorkOrder } from "../protocol.ts";

/** One work order as the simulated contractor holds it: its ground truth. */
export interface SimulatedOrder {
  contractorReference: string;
  /** Silta's reference. */
  workOrderId: string;
  workOrder: ProtocolWorkOrder;
  /** Protocol status code: SENT until acknowledged, then RECEIVED, IN_PROGRESS, a terminal, or CANCELLED. */
  status: string;
  cancelled: boolean;
  cancelReason: string | null;
  receivedVia: "push" | "pull";
  /** The `webhook-id` the order arrived with (null when pulled from the feed). */
  webhookId: string | null;
  receivedAt: string;
  /** Every status the order went through; `silent` ones were never reported to Silta. */
  history: { status: string; at: string; silent: boolean }[];
}

/** One attempt to post a status event to Silta. */
export interface PostedEvent {
  workOrderId: string;
  idempotencyKey: string;
  status: string;
  occurredAt: string;
  attempt: number;
  /** Silta's HTTP status, or null when no answer came (network error, timeout, Silta not configured). */
  httpStatus: number | null;
  ok: boolean;
  /** A deliberate second post with the same Idempotency-Key (`duplicateEventRate`). */
  duplicate: boolean;
}

export interface SimulatorStore {
  /** Every stored order, duplicates included, in arrival order. */
  orders(): SimulatedOrder[];
  /** The first stored order with Silta's reference, if any. */
  find(workOrderId: string): SimulatedOrder | undefined;
  findByReference(contractorReference: string): SimulatedOrder | undefined;
  /** How many orders are stored per Silta reference: more than 1 is a duplicate work order. */
  countsByWorkOrderId(): Map<string, number>;
  /** Silta references stored more than once. */
  duplicates(): string[];
  /** Every attempt to post an event to Silta, in order. */
  events(): PostedEvent[];
  add(order: Omit<SimulatedOrder, "contractorReference">): SimulatedOrder;
  /** Forgets every order with this reference; returns them. */
  remove(workOrderId: string): SimulatedOrder[];
  recordEvent(event: PostedEvent): void;
}

/** The simulator's in-memory ground truth, with accessors for checkers. */
export function createSimulatorStore(): SimulatorStore {
  const orders: SimulatedOrder[] = [];
  const events: PostedEvent[] = [];
  let sequence = 0;
  const countsByWorkOrderId = (): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const order of orders) counts.set(order.workOrderId, (counts.get(order.workOrderId) ?? 0) + 1);
    return counts;
  };
  return {
    orders: () => [...orders],
    find: (workOrderId) => orders.find((order) => order.workOrderId === workOrderId),
    findByReference: (reference) => orders.find((order) => order.contractorReference === reference),
    countsByWorkOrderId,
    duplicates: () => [...countsByWorkOrderId()].filter(([, count]) => count > 1).map(([id]) => id),
    events: () => [...events],
    add(order) {
      sequence += 1;
      const stored: SimulatedOrder = { ...order, contractorReference: `CR-${String(sequence).padStart(6, "0")}` };
      orders.push(stored);
      return stored;
    },
    remove(workOrderId) {
      const removed = orders.filter((order) => order.workOrderId === workOrderId);
      for (const order of removed) orders.splice(orders.indexOf(order), 1);
      return removed;
    },
    recordEvent: (event) => {
      events.push(event);
    },
  };
}
