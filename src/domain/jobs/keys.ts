import type { NewJob } from "./store.ts";

/**
 * The one place job dedupe keys are spelled. A key names the job's work, not one attempt: one
 * create and one cancel per work order (its external reference), one write-back per link (it
 * always sends the link's latest status).
 */
export const jobKeys = {
  create: (externalRef: string) => `create:${externalRef}`,
  cancel: (externalRef: string) => `cancel:${externalRef}`,
  writeBack: (linkId: number) => `${WRITE_BACK_KEY_PREFIX}${linkId}`,
} as const;

/** The write-back key's prefix, for queries that join a link to its job in SQL. */
export const WRITE_BACK_KEY_PREFIX = "writeback:";

/** The `target` of write-back jobs: they go to the case system, not to a contractor. */
export const CASE_SYSTEM_TARGET = "case-system";

interface LinkFacts {
  id: number;
  caseId: string;
  target: string;
  externalRef: string;
}

/** The create job of a link. */
export function createJobFor(link: LinkFacts): NewJob {
  return {
    kind: "create_work_order",
    dedupeKey: jobKeys.create(link.externalRef),
    linkId: link.id,
    caseId: link.caseId,
    target: link.target,
  };
}

/** The cancel job of a link. */
export function cancelJobFor(link: LinkFacts): NewJob {
  return {
    kind: "cancel_work_order",
    dedupeKey: jobKeys.cancel(link.externalRef),
    linkId: link.id,
    caseId: link.caseId,
    target: link.target,
  };
}

/** The write-back job of a link. */
export function writeBackJobFor(link: { id: number; caseId: string }): NewJob {
  return {
    kind: "write_back",
    dedupeKey: jobKeys.writeBack(link.id),
    linkId: link.id,
    caseId: link.caseId,
    target: CASE_SYSTEM_TARGET,
  };
}
