import { eq } from "drizzle-orm";
import { cases, links, type OutboxJobKind } from "../../db/schema/index.ts";
import type { SiltaDeps } from "../deps.ts";
import { writeBackUpdateId } from "../jobs/write-back.ts";
import { buildWorkOrderPayload } from "../work-order-payload.ts";

/** Reporter fields a target may be allowed to receive; the console never shows them (S6). */
const REPORTER_FIELDS = ["reporterName", "reporterEmail", "reporterPhone"] as const;

export interface PayloadPreview {
  kind: OutboxJobKind;
  /** Where it would go: a target id, or `case-system` for write-back. */
  destination: string;
  /** What would be sent, as Silta builds it now: allowlisted, scrubbed, reporter fields redacted. */
  body: Record<string, unknown> | null;
  /** Why nothing would be sent, when that is the case. */
  note: string | null;
}

/**
 * What a job would send if it ran now, for the console's payload view and replay dry runs.
 * Built by the same functions delivery uses (allowlist, scrubbing), so it is what the target
 * would receive; reporter fields are redacted on top because admins need the shape, not the person.
 */
export async function previewJobPayload(
  deps: SiltaDeps,
  job: { kind: OutboxJobKind; linkId: number; target: string },
): Promise<PayloadPreview> {
  const { db } = deps.database;
  const [link] = await db.select().from(links).where(eq(links.id, job.linkId));
  if (!link) return { kind: job.kind, destination: job.target, body: null, note: "the link is gone" };
  if (job.kind === "create_work_order") {
    const mapping = deps.mappings.targets.get(link.target);
    const [row] = await db.select({ snapshot: cases.snapshot }).from(cases).where(eq(cases.id, link.caseId));
    if (!mapping || !row) return { kind: job.kind, destination: link.target, body: null, note: "target or case missing" };
    // The same media filter as delivery, without counting: a preview sends nothing.
    const media = deps.media ? { policy: deps.media.policy } : undefined;
    const payload: Record<string, unknown> = { ...buildWorkOrderPayload(row.snapshot, mapping, link.externalRef, media) };
    for (const field of REPORTER_FIELDS) if (field in payload && payload[field] != null) payload[field] = "[redacted]";
    const note = link.desired === "cancelled" ? "the city withdrew the case: the create would not be sent" : null;
    return { kind: job.kind, destination: link.target, body: payload, note };
  }
  if (job.kind === "cancel_work_order") {
    return {
      kind: job.kind,
      destination: link.target,
      body: { workOrderId: link.workOrderId, externalRef: link.externalRef, reason: "withdrawn by the city" },
      note: null,
    };
  }
  const mapped = deps.mappings.writeback.statuses[link.fieldStatus];
  if (!mapped)
    return { kind: job.kind, destination: "case-system", body: null, note: `nothing is written back for ${link.fieldStatus}` };
  return {
    kind: job.kind,
    destination: "case-system",
    body: {
      serviceRequestId: link.caseId,
      updateId: writeBackUpdateId(link.id, link.fieldStatus),
      status: mapped.open311,
      externalStatusCode: mapped.works,
      description: mapped.note[deps.mappings.writeback.locale],
    },
    note: link.writtenBackStatus === link.fieldStatus ? "already written back: nothing would be sent" : null,
  };
}
