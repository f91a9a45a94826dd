import { pgTable, text } from "drizzle-orm/pg-core";
import { updatedAt } from "./columns.ts";

/** Where each poller continues: an ISO timestamp for Open311 windows, an opaque cursor for feeds. */
export const pollCursors = pgTable("poll_cursors", {
  name: text("name").primaryKey(),
  position: text("position").notNull(),
  updatedAt: updatedAt(),
});
