import { and, eq } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { statusCodeOverrides } from "../../db/schema/index.ts";
import { type CanonicalStatus, isCanonicalStatus } from "../../kernel/status.ts";

/**
 * The admin override for one code, for field-status mapping: the shipped table first, then this.
 * Usable inside the applying transaction.
 */
export async function findStatusOverride(tx: Tx, target: string, code: string): Promise<CanonicalStatus | null> {
  const [row] = await tx
    .select({ canonical: statusCodeOverrides.canonical })
    .from(statusCodeOverrides)
    .where(and(eq(statusCodeOverrides.target, target), eq(statusCodeOverrides.code, code)));
  return row && isCanonicalStatus(row.canonical) ? row.canonical : null;
}
