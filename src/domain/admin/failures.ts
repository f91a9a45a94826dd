import { and, desc, eq, ilike, inArray, isNotNull, lte, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { links, type OutboxJobKind, type OutboxJobState, outboxJobs } from "../../db/schema/index.ts";
import { ERROR_CODES, type ErrorClass, type ErrorCode } from "../../kernel/errors.ts";
import { scrubPersonalData } from "../scrub.ts";

export type FailureState = "dead" | "retrying" | "skipped";

/** What the failures list can be narrowed by; every field is optional. */
export interface FailureFilter {
  target?: string;
  /** An error class (transient, permanent, auth, unmapped, …). */
  errorClass?: ErrorClass;
  errorCode?: string;
  /** dead letters (default: dead and retrying). */
  state?: FailureState;
  /** Only failures whose job is at least this many minutes old. */
  minAgeMinutes?: number;
  /** Free text over job id, case id, external reference, work-order id and error text. */
  q?: string;
  kind?: OutboxJobKind;
  limit?: number;
}

export interface FailureItem {
  jobId: number;
  kind: OutboxJobKind;
  target: string;
  caseId: string;
  externalRef: string | null;
  workOrderId: string | null;
  linkState: string | null;
  state: OutboxJobState;
  attempts: number;
  errorCode: string | null;
  errorClass: ErrorClass | null;
  httpStatus: number | null;
  /** The last error, scrubbed again for display (messages come from remote systems). */
  reason: string | null;
  createdAt: string;
  firstAttemptAt: string | null;
  lastChangedAt: string;
  nextRunAt: string | null;
  acknowledged: { by: string; note: string | null; until: string | null; active: boolean } | null;
}

function codesOfClass(errorClass: ErrorClass): ErrorCode[] {
  return (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => ERROR_CODES[code] === errorClass);
}

function stateCondition(state: FailureState | undefined): SQL | undefined {
  const retrying = and(inArray(outboxJobs.state, ["pending", "running"]), isNotNull(outboxJobs.lastErrorCode));
  if (state === "dead") return eq(outboxJobs.state, "dead");
  if (state === "skipped") return eq(outboxJobs.state, "skipped");
  if (state === "retrying") return retrying;
  return or(eq(outboxJobs.state, "dead"), retrying);
}

/** The SQL condition for a filter; shared by the list and by bulk replay so both select the same jobs. */
export function failureCondition(filter: FailureFilter, now: Date): SQL | undefined {
  const conditions: (SQL | undefined)[] = [stateCondition(filter.state)];
  if (filter.target) conditions.push(eq(outboxJobs.target, filter.target));
  if (filter.kind) conditions.push(eq(outboxJobs.kind, filter.kind));
  if (filter.errorCode) conditions.push(eq(outboxJobs.lastErrorCode, filter.errorCode as ErrorCode));
  if (filter.errorClass) conditions.push(inArray(outboxJobs.lastErrorCode, codesOfClass(filter.errorClass)));
  if (filter.minAgeMinutes !== undefined) {
    conditions.push(lte(outboxJobs.createdAt, new Date(now.getTime() - filter.minAgeMinutes * 60_000)));
  }
  const q = filter.q?.trim();
  if (q) {
    const like = `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    conditions.push(
      or(
        /^\d+$/.test(q) ? eq(outboxJobs.id, Number(q)) : undefined,
        ilike(outboxJobs.caseId, like),
        ilike(links.externalRef, like),
        ilike(links.workOrderId, like),
        ilike(outboxJobs.lastError, like),
        ilike(outboxJobs.lastErrorCode, like),
      ),
    );
  }
  return and(...conditions);
}

type JobWithLink = { job: typeof outboxJobs.$inferSelect; link: typeof links.$inferSelect | null };

function toFailureItem({ job, link }: JobWithLink, now: Date): FailureItem {
  const code = job.lastErrorCode;
  const errorClass = code && code in ERROR_CODES ? ERROR_CODES[code as keyof typeof ERROR_CODES] : null;
  return {
    jobId: job.id,
    kind: job.kind,
    target: job.target,
    caseId: job.caseId,
    externalRef: link?.externalRef ?? null,
    workOrderId: link?.workOrderId ?? null,
    linkState: link?.state ?? null,
    state: job.state,
    attempts: job.attempts,
    errorCode: code,
    errorClass,
    httpStatus: job.lastHttpStatus,
    reason: job.lastError ? scrubPersonalData(job.lastError) : null,
    createdAt: job.createdAt.toISOString(),
    firstAttemptAt: job.firstAttemptAt?.toISOString() ?? null,
    lastChangedAt: job.updatedAt.toISOString(),
    nextRunAt: job.state === "pending" ? job.runAt.toISOString() : null,
    acknowledged: job.acknowledgedBy
      ? {
          by: job.acknowledgedBy,
          note: job.acknowledgeNote,
          until: job.acknowledgedUntil?.toISOString() ?? null,
          active: !job.acknowledgedUntil || job.acknowledgedUntil > now,
        }
      : null,
  };
}

/** Failed deliveries (dead letters and jobs waiting for a retry), newest change first. */
export async function listFailures(database: Database, filter: FailureFilter, now = new Date()): Promise<FailureItem[]> {
  const rows = await database.db
    .select({ job: outboxJobs, link: links })
    .from(outboxJobs)
    .leftJoin(links, eq(links.id, outboxJobs.linkId))
    .where(failureCondition(filter, now))
    .orderBy(desc(outboxJobs.updatedAt), desc(outboxJobs.id))
    .limit(Math.min(filter.limit ?? 100, 1000));
  return rows.map((row) => toFailureItem(row, now));
}

/** One job as a failure item (whatever its state), or null. */
export async function getFailure(database: Database, jobId: number, now = new Date()): Promise<FailureItem | null> {
  const [row] = await database.db
    .select({ job: outboxJobs, link: links })
    .from(outboxJobs)
    .leftJoin(links, eq(links.id, outboxJobs.linkId))
    .where(eq(outboxJobs.id, jobId));
  return row ? toFailureItem(row, now) : null;
}

/** Dead letters grouped by target and error code: what one fix (a mapping, a credential) would re-drive. */
export async function deadLetterGroups(database: Database): Promise<{ target: string; errorCode: string; n: number }[]> {
  const rows = await database.rows<{ target: string; error_code: string | null; n: number }>(sql`
    select target, last_error_code as error_code, count(*)::int as n from outbox_jobs
    where state = 'dead' group by target, last_error_code order by n desc, target`);
  return rows.map((r) => ({ target: r.target, errorCode: r.error_code ?? "unknown", n: Number(r.n) }));
}

/** A work order stopped without a dead job: handed back with nowhere to go, or skipped by an admin. */
export interface ParkedLinkItem {
  linkId: number;
  caseId: string;
  target: string;
  code: string | null;
  /** Scrubbed again for display (the text can come from a remote system). */
  reason: string | null;
  parkedAt: string;
}

/** What stopped besides dead letters: parked work orders without a dead job, and records held in quarantine. */
export interface StoppedElsewhere {
  parked: ParkedLinkItem[];
  quarantinedEvents: number;
  quarantinedRecords: number;
}

/**
 * Parked links whose create job is not a dead letter (those show in the list already), and the
 * counts held in quarantine: everything an admin must act on appears under Failures.
 */
export async function listStoppedElsewhere(database: Database, limit = 100): Promise<StoppedElsewhere> {
  const parked = await database.rows<{
    id: number;
    case_id: string;
    target: string;
    parked_code: string | null;
    parked_reason: string | null;
    updated_at: string;
  }>(sql`
    select l.id, l.case_id, l.target, l.parked_code, l.parked_reason, l.updated_at::text
    from links l
    where l.state = 'parked'
      and not exists (select 1 from outbox_jobs j where j.link_id = l.id and j.kind = 'create_work_order' and j.state = 'dead')
    order by l.updated_at desc limit ${limit}`);
  const [counts] = await database.rows<{ events: number; records: number }>(sql`
    select (select count(*)::int from inbox_events where state = 'quarantined') as events,
           (select count(*)::int from source_quarantine where state = 'open') as records`);
  return {
    parked: parked.map((p) => ({
      linkId: Number(p.id),
      caseId: p.case_id,
      target: p.target,
      code: p.parked_code,
      reason: p.parked_reason === null ? null : scrubPersonalData(p.parked_reason),
      parkedAt: new Date(p.updated_at).toISOString(),
    })),
    quarantinedEvents: Number(counts?.events ?? 0),
    quarantinedRecords: Number(counts?.records ?? 0),
  };
}
