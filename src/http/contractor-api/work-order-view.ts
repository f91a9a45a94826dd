import { protocolStatusCode, toProtocolWorkOrder } from "../../../adapters/contractor-api/protocol.ts";
import type { ContractorFeedItem, ContractorWorkOrderView } from "../../ports/contractor-gateway.ts";

/**
 * The contractor's view of a work order: exactly the payload that was disclosed to it (never
 * more), plus status in the protocol's upper-case codes.
 */
export function toWorkOrderState(view: ContractorWorkOrderView) {
  return {
    ...toProtocolWorkOrder(view.payload),
    workOrderId: view.workOrderId,
    status: protocolStatusCode(view.status),
    cancelled: view.cancelled,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
  };
}

/** One feed entry on the wire. */
export function toFeedItem(item: ContractorFeedItem) {
  return { cursor: item.cursor, type: item.type, workOrder: toWorkOrderState(item.workOrder) };
}
