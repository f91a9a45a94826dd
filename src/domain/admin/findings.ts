import { desc, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { reconciliationFindings } from "../../db/schema/index.ts";

export interface FindingItem {
  id: number;
  kind: string;
  subject: string;
  caseId: string | null;
  target: string | null;
  detail: Record<string, string | number | boolean | null>;
  suggestedAction: string;
  autoRepairable: boolean;
  repairAttempts: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** Open reconciliation findings, newest first (read straight from the table reconciliation writes). */
export async function listOpenFindings(database: Database, limit = 100): Promise<FindingItem[]> {
  const rows = await database.db
    .select()
    .from(reconciliationFindings)
    .where(eq(reconciliationFindings.state, "open"))
    .orderBy(desc(reconciliationFindings.lastSeenAt))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    subject: r.subject,
    caseId: r.caseId,
    target: r.target,
    detail: r.detail,
    suggestedAction: r.suggestedAction,
    autoRepairable: r.autoRepairable === "yes",
    repairAttempts: r.repairAttempts,
    firstSeenAt: r.firstSeenAt.toISOString(),
    lastSeenAt: r.lastSeenAt.toISOString(),
  }));
}
