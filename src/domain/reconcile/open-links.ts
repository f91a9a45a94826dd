import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import type { LinkState } from "../../db/schema/index.ts";
import type { CanonicalStatus } from "../status.ts";

/** The part of a link reconciliation compares. */
export interface OpenLink {
  id: number;
  caseId: string;
  target: string;
  externalRef: string;
  workOrderId: string | null;
  state: LinkState;
  fieldStatus: CanonicalStatus;
  writtenBackStatus: CanonicalStatus | null;
}

/**
 * The links reconciliation looks at: delivered or being delivered, still wanted by the city, and
 * either not at rest or at rest only recently (drift after the work finished still matters while
 * the case is fresh; older finished links are history).
 */
export async function loadOpenLinks(database: Database, recentMs: number): Promise<OpenLink[]> {
  const rows = await database.rows<{
    id: number | string;
    case_id: string;
    target: string;
    external_ref: string;
    work_order_id: string | null;
    state: LinkState;
    field_status: CanonicalStatus;
    written_back_status: CanonicalStatus | null;
  }>(sql`
    select id, case_id, target, external_ref, work_order_id, state, field_status, written_back_status
    from links
    where state in ('pending', 'forwarded') and desired = 'open'
      and not (
        field_status in ('completed', 'scheduled_later', 'no_action', 'interrupted', 'wrong_contractor', 'cancelled')
        and written_back_status is not distinct from field_status
        and updated_at < now() - (${recentMs} * interval '1 millisecond')
      )
    order by id
  `);
  return rows.map((r) => ({
    id: Number(r.id),
    caseId: r.case_id,
    target: r.target,
    externalRef: r.external_ref,
    workOrderId: r.work_order_id,
    state: r.state,
    fieldStatus: r.field_status,
    writtenBackStatus: r.written_back_status,
  }));
}

/** Runs `work` over `items` with at most `limit` at a time; results in input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      const item = items[index] as T;
      results[index] = await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}
