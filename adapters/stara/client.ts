import { z } from "zod";
import { SiltaError } from "../../src/kernel/errors.ts";
import type {
  FieldEvent,
  HeaderMap,
  RemoteWorkOrder,
  WorkOrderPage,
  WorkOrderPayload,
  WorkOrderSystem,
} from "../../src/ports/work-order-system.ts";
import { verifyStaraWebhook } from "./events.ts";
import type { StaraApi, StaraConnectionOptions } from "./http.ts";
import { createStaraApi, STARA_DEFAULT_TIMEOUT_MS, sendToStara, staraFailure } from "./http.ts";
import { toStaraCreateBody } from "./payload.ts";
import type { StaraWorkOrderWire } from "./wire.ts";
import { describeIssues, staraErrorCode, staraWorkOrderListSchema, staraWorkOrderSchema } from "./wire.ts";

export type { StaraChangeFeed, StaraChangeFeedOptions, StaraChangePage } from "./change-feed.ts";
export { createStaraChangeFeed } from "./change-feed.ts";

export interface StaraWorkOrderSystemOptions extends StaraConnectionOptions {
  /** Silta's id for this target, e.g. `stara`. */
  targetId: string;
  /** Active `whsec_` secrets for inbound status webhooks; more than one during a rotation. */
  webhookSecrets: string[];
}

/** One page of `GET /tyotilausluettelo`. */
const staraWorkOrderPageSchema = staraWorkOrderListSchema.extend({ seuraava: z.string().min(1).nullable() });
/** Work orders per page when listing them all (Stara's maximum). */
const LIST_PAGE_SIZE = 500;

/** Stara's `syy` (cancellation reason) is at most this long; a longer reason is cut, not refused. */
const MAX_REASON_LENGTH = 500;

/**
 * Stara's work-order system behind the WorkOrderSystem port (see `openapi.yaml`).
 *
 * Cancel semantics: cancelling is done when Stara holds no live work order for the reference.
 * So a 404 that Stara itself signed (`tyotilausta_ei_loydy`) and a 409 `tyotilaus_paattynyt`
 * (the crew already finished it, which reaches Silta as a status event) both count as done;
 * a 404 without Stara's error body (wrong base URL, a proxy) stays an error.
 */
export function createStaraWorkOrderSystem(options: StaraWorkOrderSystemOptions): WorkOrderSystem {
  const api = createStaraApi(options);
  const timeoutMs = options.timeoutMs ?? STARA_DEFAULT_TIMEOUT_MS;
  const secrets = [...options.webhookSecrets];

  return {
    targetId: options.targetId,

    /** Creates the work order with `Idempotency-Key`; Stara answers 200 with the existing one on a repeat. */
    async createWorkOrder(order: WorkOrderPayload, idempotencyKey: string): Promise<RemoteWorkOrder> {
      const what = "Stara create work order";
      const result = await sendToStara(what, timeoutMs, (signal) =>
        api.POST("/api/v1/tyotilaukset", {
          params: { header: { "Idempotency-Key": idempotencyKey } },
          body: toStaraCreateBody(order),
          signal,
        }),
      );
      if (!result.response.ok) throw staraFailure(what, result);
      return toRemoteWorkOrder(parseOrThrow(what, result.data));
    },

    /** Finds the oldest work order with this reference (normally the only one), or null. */
    async findByExternalRef(externalRef: string): Promise<RemoteWorkOrder | null> {
      const [first] = await listByExternalRef(api, timeoutMs, externalRef);
      return first ? toRemoteWorkOrder(first) : null;
    },

    /**
     * Withdraws the work order. Without Stara's id, every work order with the reference is
     * withdrawn, so that a duplicate left by an earlier fault is not left running.
     */
    async cancelWorkOrder(order: { workOrderId: string | null; externalRef: string }, reason: string): Promise<void> {
      const ids = order.workOrderId
        ? [order.workOrderId]
        : (await listByExternalRef(api, timeoutMs, order.externalRef)).map((found) => found.tunnus);
      for (const tunnus of ids) await cancelOne(api, timeoutMs, tunnus, reason);
    },

    /** Every work order Stara holds, a page at a time (reconciliation finds the ones Silta does not know). */
    async listWorkOrders(cursor: string | null): Promise<WorkOrderPage> {
      const what = "Stara list work orders";
      const result = await sendToStara(what, timeoutMs, (signal) =>
        api.GET("/api/v1/tyotilausluettelo", {
          params: { query: { raja: LIST_PAGE_SIZE, ...(cursor === null ? {} : { jalkeen: cursor }) } },
          signal,
        }),
      );
      if (!result.response.ok) throw staraFailure(what, result);
      const parsed = staraWorkOrderPageSchema.safeParse(result.data);
      if (!parsed.success) throw badResponse(what, parsed.error);
      return { items: parsed.data.tyotilaukset.map(toRemoteWorkOrder), nextCursor: parsed.data.seuraava };
    },

    /** Verifies the signature and parses Stara's events; see `verifyStaraWebhook`. */
    async verifyWebhook(headers: HeaderMap, rawBody: string): Promise<FieldEvent[]> {
      return verifyStaraWebhook(secrets, headers, rawBody);
    },
  };
}

async function listByExternalRef(api: StaraApi, timeoutMs: number, externalRef: string): Promise<StaraWorkOrderWire[]> {
  const what = "Stara look up work order";
  const result = await sendToStara(what, timeoutMs, (signal) =>
    api.GET("/api/v1/tyotilaukset", { params: { query: { ulkoinen_viite: externalRef } }, signal }),
  );
  if (!result.response.ok) throw staraFailure(what, result);
  const parsed = staraWorkOrderListSchema.safeParse(result.data);
  if (!parsed.success) throw badResponse(what, parsed.error);
  // Stara filters by the reference; a row for another one would be a wrong answer, not a match.
  return parsed.data.tyotilaukset.filter((found) => found.ulkoinen_viite === externalRef);
}

async function cancelOne(api: StaraApi, timeoutMs: number, tunnus: string, reason: string): Promise<void> {
  const what = "Stara cancel work order";
  const result = await sendToStara(what, timeoutMs, (signal) =>
    api.POST("/api/v1/tyotilaukset/{tunnus}/peruutus", {
      params: { path: { tunnus } },
      body: { syy: reason.slice(0, MAX_REASON_LENGTH) || "peruttu" },
      signal,
    }),
  );
  if (result.response.ok) return;
  const code = staraErrorCode(result.error);
  if (result.response.status === 404 && code === "tyotilausta_ei_loydy") return;
  if (result.response.status === 409 && code === "tyotilaus_paattynyt") return;
  throw staraFailure(what, result);
}

function parseOrThrow(what: string, data: unknown): StaraWorkOrderWire {
  const parsed = staraWorkOrderSchema.safeParse(data);
  if (!parsed.success) throw badResponse(what, parsed.error);
  return parsed.data;
}

function badResponse(what: string, error: Parameters<typeof describeIssues>[0]): SiltaError {
  return new SiltaError("target_bad_response", `${what}: answer does not fit Stara's schema: ${describeIssues(error)}`);
}

function toRemoteWorkOrder(order: StaraWorkOrderWire): RemoteWorkOrder {
  return { workOrderId: order.tunnus, externalRef: order.ulkoinen_viite, statusCode: order.tila.normalize("NFC") };
}
