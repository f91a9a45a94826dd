import { eq } from "drizzle-orm";
import { outboxJobs } from "../../db/schema/index.ts";
import type { SiltaDeps } from "../deps.ts";
import { type FailureItem, getFailure } from "./failures.ts";
import { type PayloadPreview, previewJobPayload } from "./payload-preview.ts";

/** One failure with the payload it would send now (allowlisted, scrubbed, reporter fields redacted). */
export async function failureDetail(
  deps: SiltaDeps,
  jobId: number,
): Promise<{ failure: FailureItem; payload: PayloadPreview } | null> {
  const failure = await getFailure(deps.database, jobId, deps.now());
  const [job] = await deps.database.db.select({ linkId: outboxJobs.linkId }).from(outboxJobs).where(eq(outboxJobs.id, jobId));
  if (!failure || !job) return null;
  return { failure, payload: await previewJobPayload(deps, { kind: failure.kind, linkId: job.linkId, target: failure.target }) };
}
