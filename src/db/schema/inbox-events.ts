import { sql } from "drizzle-orm";
import { bigserial, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { at } from "./columns.ts";

export type InboxState = "pending" | "applied" | "stale" | "quarantined" | "unknown_work_order";

/**
 * Field-status events as received (webhooks, contractor API, polled feeds). The unique
 * (source, event_id) makes every event apply at most once; the answer to the sender does not
 * wait for processing.
 */
export const inboxEvents = pgTable(
  "inbox_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** The target the event came from. */
    source: text("source").notNull(),
    eventId: text("event_id").notNull(),
    /** SHA-256 of the request body, so a reused Idempotency-Key with another body is refused. */
    bodyHash: text("body_hash").notNull(),
    externalRef: text("external_ref").notNull(),
    workOrderId: text("work_order_id"),
    statusCode: text("status_code").notNull(),
    occurredAt: at("occurred_at").notNull(),
    /** Field crew's note, already scrubbed of personal data. */
    note: text("note"),
    state: text("state").$type<InboxState>().notNull().default("pending"),
    reason: text("reason"),
    receivedAt: at("received_at").notNull().defaultNow(),
    processedAt: at("processed_at"),
  },
  (t) => [
    uniqueIndex("inbox_events_source_event_uq").on(t.source, t.eventId),
    index("inbox_events_state_idx").on(t.state),
    // The inbox loop takes the oldest pending events: a partial index in that order stops at the limit.
    index("inbox_events_pending_idx").on(t.occurredAt, t.id).where(sql`state = 'pending'`),
  ],
);
