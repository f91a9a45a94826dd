import { desc, type SQL, sql } from "drizzle-orm";
import type { Database, Tx } from "../../db/client.ts";
import { auditEvents } from "../../db/schema/index.ts";
import { canonicalJson } from "../../lib/hash.ts";
import type { SiltaDeps } from "../deps.ts";

export interface AuditInput {
  /** `admin:<fingerprint>`, `contractor:<target>`, `system`. */
  actor: string;
  action: string;
  subject: string;
  /** Ids, codes, counts, field names and outcomes; never personal data or values. */
  detail?: Record<string, unknown>;
  result: string;
}

/** `hash_version` of rows written since the chain was numbered: the hash covers seq and time. */
export const AUDIT_HASH_VERSION = 2;

/** The hashed content of a row (version 2): everything but its id, seq and the hashes. */
export function auditContent(row: {
  at: Date;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
  result: string;
}): string {
  return canonicalJson({
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    detail: row.detail,
    result: row.result,
  });
}

/**
 * Appends one audit row inside the caller's transaction, chained to the previous row (S7): the
 * row commits or rolls back with the change it records. One round trip: the `audit_append`
 * function (drizzle/0006) takes a transaction-scoped advisory lock, so that two writers never
 * chain onto the same predecessor, numbers the row `seq = last + 1` and stores
 * `hash = sha256(prev_hash + "\n" + seq + "\n" + auditContent(row))`, which `verifyAuditChain`
 * recomputes. Call it last in the transaction, so the lock is held only until commit; outside a
 * transaction the lock ends with the statement.
 */
export async function writeAudit(tx: Tx, input: AuditInput): Promise<void> {
  await tx.execute(sql`select ${auditAppendCall(input)}`);
}

/** The `audit_append(…)` call for one row, to embed in a larger statement (it returns the row's seq). */
export function auditAppendCall(input: AuditInput): SQL {
  const at = new Date();
  const detail = input.detail ?? {};
  const content = auditContent({ ...input, at, detail });
  return sql`audit_append(${at.toISOString()}::timestamptz, ${input.actor}, ${input.action}, ${input.subject}, ${JSON.stringify(detail)}::jsonb, ${input.result}, ${content})`;
}

/** The audit row of one disclosure (see `recordDisclosure`). */
export function disclosureAudit(disclosure: Disclosure): AuditInput {
  return {
    actor: `contractor:${disclosure.target}`,
    action: `disclosure.${disclosure.operation}`,
    subject: disclosure.subject,
    detail: {
      fields: [...disclosure.fields],
      caseIds: [...disclosure.caseIds],
      ...(disclosure.workOrderIds ? { workOrderIds: [...disclosure.workOrderIds] } : {}),
    },
    result: disclosure.result,
  };
}

/** A disclosure of case data to a contractor (S7): who received which fields of which work orders. */
export interface Disclosure {
  target: string;
  /** `create`, `cancel` (delivery calls), `feed`, `read` (the contractor API). */
  operation: "create" | "cancel" | "feed" | "read";
  /** The work order (external ref) or, for a feed page, `feed:<target>`. */
  subject: string;
  /** Field names disclosed, never their values. */
  fields: readonly string[];
  /** Case ids and work-order ids concerned (a feed page lists every item's). */
  caseIds: readonly string[];
  workOrderIds?: readonly string[];
  result: string;
}

/** What a cancel call carries: the order's ids and a fixed reason, no case data. */
const CANCEL_FIELDS = ["externalRef", "workOrderId", "reason"] as const;

/**
 * The disclosure a delivery call made, from the target's allowlist (the payload's possible
 * fields; values are never recorded). For the job handlers (`jobs/`), one line inside the outcome's transaction.
 */
export function deliveryDisclosure(
  deps: Pick<SiltaDeps, "mappings">,
  link: { target: string; caseId: string; externalRef: string },
  operation: "create" | "cancel",
  result: string,
): Disclosure {
  const allowlist = deps.mappings.targets.get(link.target)?.allowlist ?? new Set<string>();
  const fields =
    operation === "create" ? ["externalRef", "serviceRequestId", "serviceCode", ...[...allowlist].sort()] : [...CANCEL_FIELDS];
  return { target: link.target, operation, subject: link.externalRef, fields, caseIds: [link.caseId], result };
}

/** Appends the audit row of one disclosure, in the caller's transaction (call it last there). */
export async function recordDisclosure(tx: Tx, disclosure: Disclosure): Promise<void> {
  await writeAudit(tx, disclosureAudit(disclosure));
}

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
  result: string;
}

export interface AuditFilter {
  /** Exactly this subject (`job:12`, a work order reference, …). */
  subject?: string;
  /** Exactly this actor (`admin:…`, `contractor:east`, `system:retention`). */
  actor?: string;
  /** Actions starting with this (`job.` for every job action). */
  action?: string;
  /** Keyset paging: only rows older than this id (the last row of the previous page). */
  beforeId?: number;
  limit?: number;
}

/** The newest audit rows matching the filter, newest first, one page at a time. */
export async function listAuditEvents(database: Database, options: AuditFilter = {}): Promise<AuditRow[]> {
  const conditions = [
    options.subject ? sql`${auditEvents.subject} = ${options.subject}` : undefined,
    options.actor ? sql`${auditEvents.actor} = ${options.actor}` : undefined,
    // starts_with, not LIKE: an action typed with % or _ matches only itself.
    options.action ? sql`starts_with(${auditEvents.action}, ${options.action})` : undefined,
    options.beforeId ? sql`${auditEvents.id} < ${options.beforeId}` : undefined,
  ].filter((condition) => condition !== undefined);
  const rows = await database.db
    .select()
    .from(auditEvents)
    .where(conditions.length > 0 ? sql.join(conditions, sql` and `) : undefined)
    .orderBy(desc(auditEvents.id))
    .limit(options.limit ?? 100);
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    detail: r.detail,
    result: r.result,
  }));
}
