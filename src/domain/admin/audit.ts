import { desc, sql } from "drizzle-orm";
import type { Database, Tx } from "../../db/client.ts";
import { auditEvents } from "../../db/schema/index.ts";
import { canonicalJson, sha256Hex } from "../../lib/hash.ts";

export interface AuditInput {
  /** `admin:<fingerprint>`, `contractor:<target>`, `system`. */
  actor: string;
  action: string;
  subject: string;
  /** Ids, codes, counts and outcomes; never personal data. */
  detail?: Record<string, unknown>;
  result: string;
}

/** Serialises writers of the hash chain (any constant works; it only has to be the same everywhere). */
const AUDIT_CHAIN_LOCK = 5_117_311;

/**
 * Appends one audit row inside the caller's transaction, chained to the previous row by hash
 * (S7): the row commits or rolls back with the change it records. A transaction-scoped advisory
 * lock keeps two writers from chaining onto the same predecessor.
 */
export async function writeAudit(tx: Tx, input: AuditInput): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  const [previous] = await tx.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
  const prevHash = previous?.hash ?? null;
  const detail = input.detail ?? {};
  const hash = await sha256Hex(
    `${prevHash ?? ""}\n${canonicalJson({ actor: input.actor, action: input.action, subject: input.subject, detail, result: input.result })}`,
  );
  await tx.insert(auditEvents).values({ ...input, detail, prevHash, hash });
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

/** The newest audit rows, optionally about one subject. */
export async function listAuditEvents(
  database: Database,
  options: { subject?: string; limit?: number } = {},
): Promise<AuditRow[]> {
  const rows = await database.db
    .select()
    .from(auditEvents)
    .where(options.subject ? sql`${auditEvents.subject} = ${options.subject}` : undefined)
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
