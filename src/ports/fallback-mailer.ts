import type { WorkOrderPayload } from "./work-order-system.ts";

/** Sends a work order by e-mail when its target cannot take it (Node only: a real SMTP client). */
export interface FallbackMailer {
  sendWorkOrder(input: { to: string; targetName: string; payload: WorkOrderPayload }): Promise<{ messageId: string }>;
}
