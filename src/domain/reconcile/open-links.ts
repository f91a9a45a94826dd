import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import type { LinkState } from "../../db/schema/index.ts";
import type { CanonicalStatus } from "../../kernel/status.ts";

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

/** Links read per page by default: a run holds a page, not every open link (100,000 of them took RSS over 300 MB). */
export const LINKS_PER_PAGE = 1000;

/**
 * The links reconciliation looks at: delivered or being delivered, still wanted by the city, and
 * either not at rest or at rest only recently (drift after the work finished still matters while
 * the case is fresh; older finished links are history). A condition on `links` as `l`.
 */
export function openLinkCondition(recentMs: number): SQL {
  return sql`(l.state in ('pending', 'forwarded') and l.desired = 'open'
      and not (
        l.field_status in ('completed', 'scheduled_later', 'no_action', 'interrupted', 'wrong_contractor', 'cancelled')
        and l.written_back_status is not distinct from l.field_status
        and l.updated_at < now() - (${recentMs} * interval '1 millisecond')
      ))`;
}

export async function countOpenLinks(database: Database, recentMs: number): Promise<number> {
  const [row] = await database.rows<{ n: number | string }>(
    sql`select count(*) as n from links l where ${openLinkCondition(recentMs)}`,
  );
  return Number(row?.n ?? 0);
}

/** The columns of an `OpenLink`, from `links` as `l`. */
export const OPEN_LINK_COLUMNS = sql`l.id, l.case_id, l.target, l.external_ref, l.work_order_id, l.state, l.field_status, l.written_back_status`;

export type OpenLinkRow = {
  id: number | string;
  case_id: string;
  target: string;
  external_ref: string;
  work_order_id: string | null;
  state: LinkState;
  field_status: CanonicalStatus;
  written_back_status: CanonicalStatus | null;
};

export function toOpenLink(r: OpenLinkRow): OpenLink {
  return {
    id: Number(r.id),
    caseId: r.case_id,
    target: r.target,
    externalRef: r.external_ref,
    workOrderId: r.work_order_id,
    state: r.state,
    fieldStatus: r.field_status,
    writtenBackStatus: r.written_back_status,
  };
}

/** Which links a page walk reads: one target's links in one state, and what else `where` asks. */
export interface LinkSlice {
  target: string;
  state: "pending" | "forwarded";
  where?: SQL;
}

/**
 * The open links of one slice, a page at a time in id order. Each page is read when the caller
 * asks for it, so links that change meanwhile are read as they are then: reconciliation drops
 * findings about links that moved after it compared them. Every page is one range of the
 * (target, state, id) index, so a walk over N links costs N index entries even on tables the
 * planner has no statistics for (the service PostgreSQL here runs without autovacuum, and a
 * plan that sorted the slice per page made a 100,000-link run take 15 s instead of 2).
 */
export async function* openLinkPages(
  database: Database,
  recentMs: number,
  slice: LinkSlice,
  pageSize: number,
): AsyncGenerator<OpenLink[]> {
  for await (const rows of slicePages<OpenLinkRow>(database, recentMs, slice, pageSize, OPEN_LINK_COLUMNS)) {
    yield rows.map(toOpenLink);
  }
}

/** The ids of a slice's open links, a page at a time: for walks that need only the few links they did not see. */
export async function* openLinkIdPages(
  database: Database,
  recentMs: number,
  slice: LinkSlice,
  pageSize: number,
): AsyncGenerator<number[]> {
  for await (const rows of slicePages<{ id: number | string }>(database, recentMs, slice, pageSize, sql`l.id`)) {
    yield rows.map((r) => Number(r.id));
  }
}

/** The keyset walk behind both: `columns` must include `l.id`, the page key. */
async function* slicePages<T extends { id: number | string }>(
  database: Database,
  recentMs: number,
  slice: LinkSlice,
  pageSize: number,
  columns: SQL,
): AsyncGenerator<T[]> {
  let after = 0;
  for (;;) {
    const rows = await database.rows<T>(sql`
      select ${columns} from links l
      where l.target = ${slice.target} and l.state = ${slice.state} and l.id > ${after}
        and ${openLinkCondition(recentMs)} and ${slice.where ?? sql`true`}
      order by l.id limit ${pageSize}`);
    const last = rows[rows.length - 1];
    if (last === undefined) return;
    yield rows;
    if (rows.length < pageSize) return;
    after = Number(last.id);
  }
}

/**
 * The links with these ids that are still open and in the slice (a link read by id may have moved
 * since). Target and state are checked here: in the query they lead the planner, without
 * statistics, to read the slice's whole index range instead of probing the ids.
 */
export async function openLinksById(
  database: Database,
  recentMs: number,
  slice: LinkSlice,
  ids: readonly number[],
): Promise<OpenLink[]> {
  if (ids.length === 0) return [];
  const rows = await database.rows<OpenLinkRow>(sql`
    select ${OPEN_LINK_COLUMNS} from links l
    where l.id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::bigint)
      and ${openLinkCondition(recentMs)} and ${slice.where ?? sql`true`}
    order by l.id`);
  return rows.map(toOpenLink).filter((link) => link.target === slice.target && link.state === slice.state);
}

/** Every target some link names, by a loose scan of the (target, state, id) index: one probe per target. */
export async function linkTargets(database: Database): Promise<string[]> {
  const rows = await database.rows<{ target: string }>(sql`
    with recursive t(target) as (
      (select target from links order by target limit 1)
      union all
      select (select l.target from links l where l.target > t.target order by l.target limit 1) from t where t.target is not null
    )
    select target from t where target is not null`);
  return rows.map((r) => r.target);
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
