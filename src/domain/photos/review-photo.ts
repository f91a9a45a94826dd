import { and, asc, eq } from "drizzle-orm";
import type { Database, Tx } from "../../db/client.ts";
import { type PhotoKind, type PhotoSource, type PhotoState, photos } from "../../db/schema/index.ts";
import { writeAudit } from "../admin/audit.ts";
import type { SiltaDeps } from "../deps.ts";
import { enqueueJob } from "../jobs/store.ts";
import { appendLedger } from "../ledger.ts";

export interface PhotoView {
  id: number;
  kind: PhotoKind;
  source: PhotoSource;
  target: string;
  state: PhotoState;
  contentType: string;
  sizeBytes: number;
  receivedAt: string;
  reviewedAt: string | null;
  writtenBackAt: string | null;
}

/** A case's photos, oldest first (what the handler page shows). */
export async function listCasePhotos(database: Database, caseId: string): Promise<PhotoView[]> {
  const rows = await database.db.select().from(photos).where(eq(photos.caseId, caseId)).orderBy(asc(photos.id));
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    source: row.source,
    target: row.target,
    state: row.state,
    contentType: row.contentType,
    sizeBytes: row.sizeBytes,
    receivedAt: row.createdAt.toISOString(),
    reviewedAt: row.reviewedAt?.toISOString() ?? null,
    writtenBackAt: row.writtenBackAt?.toISOString() ?? null,
  }));
}

/** One photo's bytes for someone allowed to see it: the case's handler (any state), or anyone once approved. */
export async function readPhoto(
  deps: SiltaDeps,
  where: { caseId: string; photoId: number } | { publicId: string },
): Promise<{ bytes: Uint8Array; contentType: string } | null> {
  if (!deps.photos) return null;
  const condition =
    "publicId" in where
      ? and(eq(photos.publicId, where.publicId), eq(photos.state, "approved"))
      : and(eq(photos.caseId, where.caseId), eq(photos.id, where.photoId));
  const [row] = await deps.database.db.select().from(photos).where(condition);
  return row ? deps.photos.store.get(row.storageKey) : null;
}

/**
 * A handler's decision on a photo: `approve` lets it be published to the case (a photo may show
 * faces or number plates, and the city publishes no personal data, so nothing goes out before);
 * `reject` keeps it inside Silta. Only a pending photo is decided; audited either way.
 */
export async function reviewPhoto(
  deps: SiltaDeps,
  actor: string,
  caseId: string,
  photoId: number,
  decision: "approve" | "reject",
): Promise<{ ok: boolean; result: string }> {
  return deps.database.db.transaction(async (tx) => {
    const [photo] = await tx
      .select()
      .from(photos)
      .where(and(eq(photos.id, photoId), eq(photos.caseId, caseId)))
      .for("update");
    const result = !photo
      ? "not_found"
      : photo.state !== "pending"
        ? `already_${photo.state}`
        : decision === "approve"
          ? "approved"
          : "rejected";
    if (photo && photo.state === "pending") {
      const state = decision === "approve" ? "approved" : "rejected";
      await tx.update(photos).set({ state, reviewedBy: actor, reviewedAt: new Date() }).where(eq(photos.id, photoId));
      await appendLedger(tx, {
        caseId,
        linkId: photo.linkId,
        target: photo.target,
        direction: "internal",
        operation: "photo",
        outcome: "ok",
        detail: `photo #${photoId} ${state} by a handler`,
      });
      if (state === "approved")
        await enqueueJob(tx, {
          kind: "publish_photo",
          dedupeKey: `photo:${photoId}`,
          linkId: photo.linkId,
          caseId,
          target: "case-system",
          payload: { photoId },
        });
    }
    await writeAudit(tx, { actor, action: `photo.${decision}`, subject: `case:${caseId}`, detail: { photoId }, result });
    return { ok: result === "approved" || result === "rejected", result };
  });
}

/** The publish job's facts: the photo, when it is approved and not yet written back. */
export async function photoToPublish(database: Database, photoId: number) {
  const [row] = await database.db.select().from(photos).where(eq(photos.id, photoId));
  return row && row.state === "approved" && !row.writtenBackAt ? row : null;
}

/** Marks a photo written back to the case, in the publish job's transaction. */
export async function markPhotoWrittenBack(tx: Tx, photoId: number) {
  await tx.update(photos).set({ writtenBackAt: new Date() }).where(eq(photos.id, photoId));
}
