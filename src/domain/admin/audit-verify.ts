import { asc, gt } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { auditEvents } from "../../db/schema/index.ts";
import { canonicalJson, sha256Hex } from "../../lib/hash.ts";
import { AUDIT_HASH_VERSION, auditContent } from "./audit.ts";

export type AuditProblemKind =
  /** A row's content no longer matches its hash. */
  | "edited"
  /** A row does not chain onto its predecessor: inserted, or its predecessor replaced. */
  | "inserted"
  /** A gap in the sequence (or a missing first row): rows were deleted. */
  | "deleted"
  /** The anchor given with --expect-head / --expect-count is not in the chain (deleted tail or rewritten chain). */
  | "anchor_mismatch";

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The row where the chain breaks (null when the chain ends before an expected row). */
  rowId: number | null;
  seq: number;
  message: string;
}

export interface AuditAnchor {
  /** The row at `seq` must still carry `hash` (the chain may have grown since). */
  head?: { seq: number; hash: string };
  /** The chain must hold at least this many rows. */
  count?: number;
}

export interface AuditVerification {
  ok: boolean;
  rows: number;
  /** The last row: keep `seq:hash` outside the database and pass it as --expect-head next time. */
  head: { id: number; seq: number; hash: string } | null;
  problem: AuditProblem | null;
}

/** Reads `--expect-head <seq>:<hash>`. */
export function parseAuditAnchor(text: string): { seq: number; hash: string } | null {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { seq: Number(match[1]), hash: match[2] as string } : null;
}

/**
 * Walks the audit chain in `seq` order, page by page, and stops at the first break (S7): a row
 * whose hash does not match its content (edited), a row that does not chain onto its predecessor
 * (inserted or replaced), a gap in the numbering (deleted). Deleting rows at the end leaves a
 * shorter but consistent chain; the anchor from an earlier run (`seq:hash` of its head, kept
 * outside the database) catches that, and a chain rewritten from some row on.
 */
export async function verifyAuditChain(
  database: Database,
  anchor: AuditAnchor = {},
  pageSize = 2_000,
): Promise<AuditVerification> {
  let previous: { id: number; seq: number; hash: string } | null = null;
  let rows = 0;
  let anchorSeen = false;
  const fail = (problem: AuditProblem): AuditVerification => ({ ok: false, rows, head: previous, problem });
  for (;;) {
    const page = await database.db
      .select()
      .from(auditEvents)
      .where(previous ? gt(auditEvents.seq, previous.seq) : undefined)
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize);
    for (const row of page) {
      const expectedSeq: number = (previous?.seq ?? 0) + 1;
      if (row.seq !== expectedSeq) {
        return fail({
          kind: "deleted",
          rowId: row.id,
          seq: row.seq,
          message: `audit row(s) ${expectedSeq}–${row.seq - 1} are missing before row id ${row.id} (seq ${row.seq}): deleted`,
        });
      }
      if ((row.prevHash ?? null) !== (previous?.hash ?? null)) {
        return fail({
          kind: "inserted",
          rowId: row.id,
          seq: row.seq,
          message: previous
            ? `audit row id ${row.id} (seq ${row.seq}) does not chain onto row id ${previous.id} (seq ${previous.seq}): one of them was inserted or replaced`
            : `audit row id ${row.id} (seq 1) claims a predecessor: rows before it were deleted or it was inserted`,
        });
      }
      const hash =
        row.hashVersion === AUDIT_HASH_VERSION
          ? sha256Hex(`${row.prevHash ?? ""}\n${row.seq}\n${auditContent(row)}`)
          : sha256Hex(
              `${row.prevHash ?? ""}\n${canonicalJson({ actor: row.actor, action: row.action, subject: row.subject, detail: row.detail, result: row.result })}`,
            );
      if (row.hash !== hash) {
        return fail({
          kind: "edited",
          rowId: row.id,
          seq: row.seq,
          message: `audit row id ${row.id} (seq ${row.seq}) was edited: its content no longer matches its hash`,
        });
      }
      if (anchor.head && row.seq === anchor.head.seq) {
        if (row.hash !== anchor.head.hash) {
          return fail({
            kind: "anchor_mismatch",
            rowId: row.id,
            seq: row.seq,
            message: `audit row id ${row.id} (seq ${row.seq}) is not the row anchored earlier: the chain was rewritten from there or before`,
          });
        }
        anchorSeen = true;
      }
      previous = { id: row.id, seq: row.seq, hash: hash };
      rows++;
    }
    if (page.length < pageSize) break;
  }
  const minimum = Math.max(anchor.count ?? 0, anchor.head?.seq ?? 0);
  if (rows < minimum || (anchor.head && !anchorSeen)) {
    return fail({
      kind: "anchor_mismatch",
      rowId: null,
      seq: rows + 1,
      message: `the audit chain ends at seq ${rows}, but an earlier verification saw at least ${minimum} rows: rows at the end were deleted`,
    });
  }
  return { ok: true, rows, head: previous, problem: null };
}
