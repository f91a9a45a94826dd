import { and, eq, sql } from "drizzle-orm";
import { links, type PhotoKind, type PhotoSource, photos } from "../../db/schema/index.ts";
import { SiltaError } from "../../kernel/errors.ts";
import { sha256BytesHex } from "../../lib/hash.ts";
import type { SiltaDeps } from "../deps.ts";
import { appendLedger } from "../ledger.ts";

/** Default photo size limit (SILTA_PHOTO_MAX_BYTES). */
export const DEFAULT_PHOTO_MAX_BYTES = 10 * 1024 * 1024;

export interface ReceivedPhoto {
  photoId: number;
  kind: PhotoKind;
  state: string;
  /** The same photo (same content after cleaning) was already on the case: nothing new was stored. */
  duplicate: boolean;
  contentType: string;
  sizeBytes: number;
}

/** A random public id for an approved photo's URL: 128 bits, URL-safe. */
function publicId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * Takes a photo from the field for a work order (by its reference): refuses one over the size
 * limit or whose content is not a JPEG, PNG or WebP, strips its metadata (the sanitizer), stores
 * the clean bytes and records it, waiting for a handler's review. The same photo twice on one
 * case is one photo. Never echoed to the contractor or the case by itself: only a handler's
 * approval publishes it (review-photo.ts).
 */
export async function receivePhoto(
  deps: SiltaDeps,
  input: { externalRef: string; source: PhotoSource; kind: PhotoKind; bytes: Uint8Array; target?: string },
): Promise<ReceivedPhoto> {
  const photo = deps.photos;
  if (!photo?.sanitizer)
    throw new SiltaError("photo_unsupported", "this runtime takes no photos: send them to Silta's Node service");
  if (input.bytes.length > photo.maxBytes)
    throw new SiltaError("photo_too_large", `the photo is ${input.bytes.length} bytes; the limit is ${photo.maxBytes}`);
  const [link] = await deps.database.db.select().from(links).where(eq(links.externalRef, input.externalRef));
  if (!link || (input.target && link.target !== input.target))
    throw new SiltaError("target_not_found", `no work order ${input.externalRef}`, { httpStatus: 404 });
  const clean = await photo.sanitizer.clean(input.bytes);
  const sha = sha256BytesHex(clean.bytes);
  const [known] = await deps.database.db
    .select()
    .from(photos)
    .where(and(eq(photos.caseId, link.caseId), eq(photos.sha256, sha)));
  if (known)
    return {
      photoId: known.id,
      kind: known.kind,
      state: known.state,
      duplicate: true,
      contentType: known.contentType,
      sizeBytes: known.sizeBytes,
    };
  const storageKey = `photos/${link.caseId}/${sha}`;
  // The bytes first (idempotent by key): a row never points at a missing blob.
  await photo.store.put(storageKey, clean.bytes, clean.contentType);
  return deps.database.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(photos)
      .values({
        caseId: link.caseId,
        linkId: link.id,
        target: link.target,
        source: input.source,
        kind: input.kind,
        sha256: sha,
        contentType: clean.contentType,
        sizeBytes: clean.bytes.length,
        storageKey,
        publicId: publicId(),
      })
      .onConflictDoUpdate({ target: [photos.caseId, photos.sha256], set: { caseId: sql`excluded.case_id` } })
      .returning({ id: photos.id, state: photos.state, inserted: sql<boolean>`(xmax = 0)` });
    if (!row) throw new Error("the photo row was not written");
    if (row.inserted)
      await appendLedger(tx, {
        caseId: link.caseId,
        linkId: link.id,
        target: link.target,
        direction: "target_in",
        operation: "photo",
        outcome: "ok",
        payloadHash: sha,
        detail: `${input.kind} photo from ${input.source}, ${clean.contentType}, ${clean.bytes.length} bytes: waits for a handler`,
      });
    return {
      photoId: row.id,
      kind: input.kind,
      state: row.state,
      duplicate: !row.inserted,
      contentType: clean.contentType,
      sizeBytes: clean.bytes.length,
    };
  });
}
