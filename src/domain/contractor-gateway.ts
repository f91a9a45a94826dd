import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { cases, contractorKeys, inboxEvents, links } from "../db/schema/index.ts";
import { sha256Hex } from "../lib/hash.ts";
import type { Mappings } from "../mappings/mappings.ts";
import type { CaseRecord } from "../ports/case-system.ts";
import type { ContractorFeedItem, ContractorGateway, ContractorWorkOrderView } from "../ports/contractor-gateway.ts";
import { recordDisclosure } from "./admin/audit.ts";
import { cachedContractorKey, rememberContractorKey } from "./contractor-key-cache.ts";
import { recordOwnedFieldEvent } from "./field-status/apply-events.ts";
import { buildWorkOrderPayload, DEFAULT_MEDIA_FILTER, type MediaFilter } from "./work-order-payload.ts";

/** Creates an API key for a contractor; only its hash is stored, so the key is shown once. */
export async function issueContractorKey(database: Database, target: string, label: string | null = null): Promise<string> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const key = `silta_${btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")}`;
  await database.db.insert(contractorKeys).values({ target, keyHash: sha256Hex(key), label });
  return key;
}

type LinkRow = typeof links.$inferSelect;

/** Feed positions are `<updated_at ms>.<link id>`: a link that changes later moves to the feed's end. */
/**
 * Feed cursor: the link's `updated_at` in microseconds since the epoch, and its id. Microseconds,
 * because the database stamps them: a millisecond cursor sent rows updated later in the same
 * millisecond again (or, ordered the other way, skipped them).
 */
function encodeCursor(row: { atMicros: string; id: number }): string {
  return `u${row.atMicros}.${row.id}`;
}

/** Link ids are 32-bit; a cursor with a larger id was not handed out by Silta. */
const MAX_LINK_ID = 2_147_483_647;
/** 9999-12-31T23:59:59.999999Z in microseconds: beyond it a cursor's time is not a time PostgreSQL holds. */
const MAX_CURSOR_MICROS = 253_402_300_799_999_999n;

/** A cursor Silta handed out, or null (as for any other string: the feed from its start). */
function decodeCursor(cursor: string | null): { atMicros: string; id: number } | null {
  if (!cursor) return null;
  const match = /^u(\d{1,18})\.(\d{1,18})$/.exec(cursor);
  // Cursors handed out before microseconds: milliseconds.
  const legacy = match ? null : /^(\d{1,15})\.(\d{1,18})$/.exec(cursor);
  const atMicros = match?.[1] ?? (legacy?.[1] ? `${legacy[1]}000` : null);
  const id = Number(match?.[2] ?? legacy?.[2]);
  if (atMicros === null || !(id <= MAX_LINK_ID) || BigInt(atMicros) > MAX_CURSOR_MICROS) return null;
  return { atMicros, id };
}

/** The payload fields that carried a value in any of these views: names only, for the audit row. */
function disclosedFields(views: readonly ContractorWorkOrderView[]): string[] {
  const fields = new Set<string>();
  for (const view of views) for (const [field, value] of Object.entries(view.payload)) if (value !== undefined) fields.add(field);
  return [...fields].sort();
}

/** The contractor API's view of the database: a contractor only ever sees its own links (S3). */
export function createContractorGateway(
  database: Database,
  mappings: Mappings,
  media: MediaFilter = DEFAULT_MEDIA_FILTER,
): ContractorGateway {
  const { db } = database;

  /** The contractor's view of a link, from the case snapshot read with it (one query per page, not per row). */
  function view(link: LinkRow, snapshot: CaseRecord): ContractorWorkOrderView | null {
    const mapping = mappings.targets.get(link.target);
    if (!mapping) return null;
    return {
      workOrderId: link.externalRef,
      serviceRequestId: link.caseId,
      targetId: link.target,
      status: link.fieldStatus,
      payload: buildWorkOrderPayload(snapshot, mapping, link.externalRef, media),
      cancelled: link.state === "cancelled" || link.desired === "cancelled",
      createdAt: link.createdAt.toISOString(),
      updatedAt: link.updatedAt.toISOString(),
    };
  }

  return {
    async authenticate(apiKey) {
      const keyHash = sha256Hex(apiKey);
      let target = cachedContractorKey(database, keyHash);
      if (target === undefined) {
        const [row] = await db
          .select({ target: contractorKeys.target })
          .from(contractorKeys)
          .where(and(eq(contractorKeys.keyHash, keyHash), isNull(contractorKeys.revokedAt)));
        if (!row) return null;
        target = row.target;
        rememberContractorKey(database, keyHash, target);
      }
      return mappings.targets.get(target)?.kind === "contractor-api" ? { targetId: target } : null;
    },

    async listFeed(targetId, cursor, limit) {
      const after = decodeCursor(cursor);
      const rows = await db
        .select({
          link: links,
          snapshot: cases.snapshot,
          // numeric from extract(): exact, unlike a float or a JS Date.
          atMicros: sql<string>`(extract(epoch from ${links.updatedAt}) * 1000000)::bigint::text`,
        })
        .from(links)
        .innerJoin(cases, eq(cases.id, links.caseId))
        .where(
          and(
            eq(links.target, targetId),
            inArray(links.state, ["forwarded", "cancelled"]),
            after
              ? sql`(${links.updatedAt}, ${links.id}) > (timestamptz 'epoch' + ${after.atMicros}::bigint * interval '1 microsecond', ${after.id})`
              : undefined,
          ),
        )
        .orderBy(links.updatedAt, links.id)
        .limit(limit);
      const items: ContractorFeedItem[] = [];
      for (const { link, snapshot, atMicros } of rows) {
        const workOrder = view(link, snapshot);
        if (!workOrder) continue;
        items.push({
          cursor: encodeCursor({ atMicros, id: link.id }),
          type: workOrder.cancelled ? "work_order.cancelled" : "work_order.created",
          workOrder,
        });
      }
      // S7: one audit row per page that disclosed anything, listing its ids (not one per item);
      // one statement, no transaction: the chain lock ends with it.
      if (items.length > 0)
        await recordDisclosure(db, {
          target: targetId,
          operation: "feed",
          subject: `feed:${targetId}`,
          fields: disclosedFields(items.map((item) => item.workOrder)),
          caseIds: items.map((item) => item.workOrder.serviceRequestId),
          workOrderIds: items.map((item) => item.workOrder.workOrderId),
          result: "ok",
        });
      const last = rows.at(-1);
      return { items, nextCursor: last ? encodeCursor({ atMicros: last.atMicros, id: last.link.id }) : cursor };
    },

    async getWorkOrder(targetId, workOrderId) {
      const [row] = await db
        .select({ link: links, snapshot: cases.snapshot })
        .from(links)
        .innerJoin(cases, eq(cases.id, links.caseId))
        .where(
          and(
            eq(links.externalRef, workOrderId),
            eq(links.target, targetId),
            inArray(links.state, ["forwarded", "cancelled", "pending"]),
          ),
        );
      const workOrder = row ? view(row.link, row.snapshot) : null;
      if (workOrder)
        await recordDisclosure(db, {
          target: targetId,
          operation: "read",
          subject: workOrder.workOrderId,
          fields: disclosedFields([workOrder]),
          caseIds: [workOrder.serviceRequestId],
          result: "ok",
        });
      return workOrder;
    },

    async recordEvent(targetId, event, idempotency) {
      const result = await recordOwnedFieldEvent(database, targetId, event, idempotency.bodyHash);
      if (!result.owned) return { outcome: "not_found" };
      if (result.accepted) return { outcome: "accepted", eventId: event.eventId };
      const [earlier] = await db
        .select({ bodyHash: inboxEvents.bodyHash })
        .from(inboxEvents)
        .where(and(eq(inboxEvents.source, targetId), eq(inboxEvents.eventId, event.eventId)));
      return earlier?.bodyHash === idempotency.bodyHash
        ? { outcome: "replayed", eventId: event.eventId }
        : { outcome: "conflict" };
    },
  };
}
