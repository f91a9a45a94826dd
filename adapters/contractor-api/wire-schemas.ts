import { z } from "zod";

/**
 * What Silta accepts from a contractor's system. Contractors' answers are validated before use;
 * ids may arrive as numbers from some ERPs and are kept as strings.
 */
const contractorId = z.union([z.string().min(1).max(200), z.number().int()]).transform(String);

/** The answer to a pushed message: `{ contractorReference? }`. */
export const receiveResultSchema = z.object({
  contractorReference: contractorId.optional(),
});

/** The answer to `GET /work-orders/{workOrderId}`. */
export const contractorWorkOrderSchema = z.object({
  workOrderId: z.string().min(1),
  contractorReference: contractorId,
  status: z.string().min(1).max(64),
});

/** A contractor's signed event webhook: `{ events: [...] }`. */
export const fieldEventBatchSchema = z.object({
  events: z
    .array(
      z.object({
        eventId: z.string().min(1).max(200),
        workOrderId: z.string().min(1).max(300),
        status: z.string().min(1).max(64),
        occurredAt: z.iso.datetime({ offset: true }),
        note: z.string().max(2000).nullish(),
      }),
    )
    .min(1)
    .max(100),
});
