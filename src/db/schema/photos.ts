import { sql } from "drizzle-orm";
import { bigint, bigserial, customType, index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { at, createdAt } from "./columns.ts";

export type PhotoSource = "contractor" | "stara";
export type PhotoKind = "before" | "after" | "completion";
/** `pending`: waits for a handler; `approved`: may be published to the case; `rejected`: never leaves Silta. */
export type PhotoState = "pending" | "approved" | "rejected";

/**
 * Photos the field sends with a work-order event, after Silta checked their type by content and
 * stripped their location and camera data. The bytes rest in the photo store (photo_blobs on the
 * embedded path, an S3-compatible bucket in production) under `storage_key`. A photo reaches the
 * case only after a handler approves it: it may show faces or number plates. One row per
 * distinct content per case: the same photo sent twice is one photo.
 */
export const photos = pgTable(
  "photos",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    caseId: text("case_id").notNull(),
    linkId: bigint("link_id", { mode: "number" }).notNull(),
    target: text("target").notNull(),
    source: text("source").$type<PhotoSource>().notNull(),
    kind: text("kind").$type<PhotoKind>().notNull(),
    /** SHA-256 of the stored (cleaned) bytes. */
    sha256: text("sha256").notNull(),
    contentType: text("content_type").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    storageKey: text("storage_key").notNull(),
    /** Random, unguessable: the public URL of an approved photo (`/photos/<public_id>`). */
    publicId: text("public_id").notNull(),
    state: text("state").$type<PhotoState>().notNull().default("pending"),
    reviewedBy: text("reviewed_by"),
    reviewedAt: at("reviewed_at"),
    writtenBackAt: at("written_back_at"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("photos_case_sha_uq").on(t.caseId, t.sha256),
    uniqueIndex("photos_public_id_uq").on(t.publicId),
    index("photos_case_idx").on(t.caseId),
    index("photos_pending_idx").on(t.createdAt).where(sql`state = 'pending'`),
  ],
);

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

/** The embedded photo store: the cleaned bytes, by storage key (photos.ts owns both tables). */
export const photoBlobs = pgTable("photo_blobs", {
  key: text("key").primaryKey(),
  contentType: text("content_type").notNull(),
  bytes: bytea("bytes").notNull(),
  createdAt: createdAt(),
});
