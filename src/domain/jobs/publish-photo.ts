import { SiltaError } from "../../kernel/errors.ts";
import { appendLedger } from "../ledger.ts";
import { markPhotoWrittenBack, photoToPublish } from "../photos/review-photo.ts";
import { finishOrThrow, type JobRun } from "./handler.ts";
import { withQuickRetry } from "./quick-retry.ts";

/** The public address of an approved photo, under Silta's public URL. */
export function publicPhotoUrl(baseUrl: string, publicId: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/photos/${publicId}`;
}

/**
 * Writes a link to an approved photo back to the case: a service request update carrying the
 * photo's public URL (GeoReport v2 `media_url`), with the link's current status so that the
 * case's status never moves back. Sent once per photo (its update id is the photo's); a photo
 * already written back, or no longer approved, finishes the job without a call.
 */
export async function publishPhoto(run: JobRun): Promise<void> {
  const { deps, job, link, gate } = run;
  const photoId = Number(job.payload.photoId);
  const photo = await photoToPublish(deps.database, photoId);
  const writeBack = deps.source?.writeBack;
  if (!photo || !deps.photos || (writeBack && !writeBack.enabled)) {
    await deps.database.db.transaction(async (tx) => {
      await finishOrThrow(tx, run, { state: "done" });
      await appendLedger(tx, {
        caseId: job.caseId,
        linkId: link.id,
        target: job.target,
        direction: "source_out",
        operation: "publish_photo",
        outcome: "skipped",
        detail: photo
          ? `write-back off: ${writeBack?.reason ?? "no photo store"}`.slice(0, 200)
          : `photo #${photoId} is not approved or already published`,
      });
    });
    return;
  }
  const mapped = deps.mappings.writeback.statuses[link.fieldStatus];
  const url = publicPhotoUrl(deps.photos.publicBaseUrl, photo.publicId);
  if (!url.startsWith("http")) throw new SiltaError("config_invalid", "photos need SILTA_PUBLIC_URL to be published");
  const started = Date.now();
  gate.enter();
  await withQuickRetry(() =>
    deps.caseSystem.postStatusUpdate({
      serviceRequestId: job.caseId,
      updateId: `silta-photo-${photoId}`,
      updatedAt: deps.now().toISOString(),
      status: mapped?.open311 ?? "OPEN",
      description: deps.mappings.writeback.locale === "fi" ? "Kuva kenttätyöstä." : "A photo of the field work.",
      externalStatusCode: mapped?.works ?? null,
      mediaUrl: url,
    }),
  );
  await deps.database.db.transaction(async (tx) => {
    await finishOrThrow(tx, run, { state: "done" });
    await markPhotoWrittenBack(tx, photoId);
    await appendLedger(tx, {
      caseId: job.caseId,
      linkId: link.id,
      target: job.target,
      direction: "source_out",
      operation: "publish_photo",
      outcome: "ok",
      idempotencyKey: `silta-photo-${photoId}`,
      latencyMs: Date.now() - started,
      attempt: job.attempts,
      detail: `photo #${photoId} (${photo.kind}) published to the case`,
    });
  });
}
