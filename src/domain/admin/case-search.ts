import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";

export interface CaseSearch {
  /** A case id (prefix) or part of the address. */
  q?: string;
  /** A service code. */
  service?: string;
  /** `routed` or `excluded` (the case), or a work order's state (pending, forwarded, parked, cancelled, rerouted). */
  state?: string;
  target?: string;
  /** Keyset paging: cases with an id below this one (the last row of the previous page). */
  beforeId?: string;
  limit?: number;
}

export interface CaseSearchRow {
  id: string;
  serviceCode: string;
  serviceName: string | null;
  address: string | null;
  disposition: string;
  updatedAt: string;
  workOrders: { target: string; state: string; fieldStatus: string }[];
}

const DISPOSITIONS = new Set(["routed", "excluded"]);
export const LINK_STATES = ["pending", "forwarded", "parked", "cancelled", "rerouted"] as const;

/** `%` and `_` typed by an admin match themselves. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Cases for the console's search, newest id first, a page at a time, with their work orders. */
export async function searchCases(database: Database, search: CaseSearch): Promise<CaseSearchRow[]> {
  const conditions: SQL[] = [];
  if (search.q) {
    const pattern = `%${likeEscape(search.q)}%`;
    conditions.push(sql`(starts_with(c.id, ${search.q}) or c.snapshot->>'address' ilike ${pattern})`);
  }
  if (search.service) conditions.push(sql`c.service_code = ${search.service}`);
  if (search.state && DISPOSITIONS.has(search.state)) conditions.push(sql`c.disposition = ${search.state}`);
  else if (search.state || search.target) {
    conditions.push(sql`exists (select 1 from links x where x.case_id = c.id
      ${search.state ? sql`and x.state = ${search.state}` : sql``} ${search.target ? sql`and x.target = ${search.target}` : sql``})`);
  }
  if (search.beforeId) conditions.push(sql`c.id < ${search.beforeId}`);
  const rows = await database.rows<{
    id: string;
    service_code: string;
    service_name: string | null;
    address: string | null;
    disposition: string;
    updated_at: string;
    work_orders: { target: string; state: string; fieldStatus: string }[] | string;
  }>(sql`
    select c.id, c.service_code, c.snapshot->>'serviceName' as service_name, c.snapshot->>'address' as address,
      c.disposition, c.updated_at::text,
      coalesce((select json_agg(json_build_object('target', l.target, 'state', l.state, 'fieldStatus', l.field_status) order by l.id)
        from links l where l.case_id = c.id), '[]'::json) as work_orders
    from cases c
    ${conditions.length > 0 ? sql`where ${sql.join(conditions, sql` and `)}` : sql``}
    order by c.id desc limit ${search.limit ?? 50}`);
  return rows.map((r) => ({
    id: r.id,
    serviceCode: r.service_code,
    serviceName: r.service_name,
    address: r.address,
    disposition: r.disposition,
    updatedAt: new Date(r.updated_at).toISOString(),
    workOrders: typeof r.work_orders === "string" ? JSON.parse(r.work_orders) : r.work_orders,
  }));
}
