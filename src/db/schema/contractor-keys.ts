import { bigserial, index, pgTable, text } from "drizzle-orm/pg-core";
import { at, createdAt } from "./columns.ts";

/** Contractor API keys, stored as SHA-256 hashes; several may be active during a rotation. */
export const contractorKeys = pgTable(
  "contractor_keys",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    target: text("target").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    label: text("label"),
    createdAt: createdAt(),
    revokedAt: at("revoked_at"),
  },
  (t) => [index("contractor_keys_target_idx").on(t.target)],
);
