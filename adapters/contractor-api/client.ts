import createClient from "openapi-fetch";
import type { z } from "zod";
import { SiltaError } from "../../src/kernel/errors.ts";
import { cappedFetch } from "../../src/lib/capped-response.ts";
import { failureFromFetchError, failureFromResponse } from "../../src/lib/http-failure.ts";
import { signWebhook, verifyWebhookSignature } from "../../src/lib/webhook-signature.ts";
import type {
  FieldEvent,
  HeaderMap,
  RemoteWorkOrder,
  WorkOrderPayload,
  WorkOrderSystem,
} from "../../src/ports/work-order-system.ts";
import { deriveMessageId, randomMessageId } from "./message-id.ts";
import type { paths } from "./openapi.d.ts";
import { toProtocolWorkOrder, type WorkOrderMessage } from "./protocol.ts";
import { contractorWorkOrderSchema, fieldEventBatchSchema, receiveResultSchema } from "./wire-schemas.ts";

export interface ContractorApiOptions {
  targetId: string;
  /** The contractor's registered endpoint, e.g. `https://erp.example/silta`; paths are relative to it. */
  endpointUrl: string;
  /** Secrets Silta signs with; during a rotation every message carries one signature per secret. */
  webhookSecrets: string[];
  /** Secrets the contractor signs its event webhooks with; defaults to `webhookSecrets`. */
  inboundSecrets?: string[];
  /** Total time allowed for one call, answer body included. */
  timeoutMs?: number;
  /** Message ids for one-off signed requests (lookups); pushes derive theirs from the work order. */
  newMessageId?: () => string;
  /**
   * How requests leave (the Node runtime passes its guarded fetch: S5). Default: `globalThis.fetch`,
   * looked up on every call.
   */
  fetch?: (request: Request) => Promise<Response>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A work-order answer is a few hundred bytes; anything far larger is not one (read no further than this). */
const MAX_ANSWER_BYTES = 64 * 1024;
/** The status Silta reports for an order the contractor holds but has not acknowledged. */
const SENT_STATUS_CODE = "SENT";

/**
 * The WorkOrderSystem of contractors that use Silta's own protocol: work orders and cancellations
 * are pushed as Standard Webhooks signed messages, lookups are signed GETs, and the contractor's
 * signed event webhooks are verified into field events. Every call is bounded by `timeoutMs` and
 * never follows redirects; failures are classified SiltaErrors.
 */
export function createContractorApiWorkOrderSystem(options: ContractorApiOptions): WorkOrderSystem {
  const { targetId, webhookSecrets } = options;
  const inboundSecrets = options.inboundSecrets ?? webhookSecrets;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const newMessageId = options.newMessageId ?? randomMessageId;
  // Resolve fetch per call: msw (and any other patcher) replaces globalThis.fetch after start-up.
  // The answer is read as a stream and abandoned past the cap, so a huge body never sits in memory.
  const send = options.fetch;
  const client = createClient<paths>({
    baseUrl: options.endpointUrl,
    fetch: cappedFetch(MAX_ANSWER_BYTES, `contractor ${targetId}`, () => send ?? ((request) => globalThis.fetch(request))),
    redirect: "manual",
  });

  /** Signs and pushes one message; resolves with the contractor's validated answer. */
  async function push(message: WorkOrderMessage, messageId: string, what: string): Promise<z.output<typeof receiveResultSchema>> {
    const rawBody = JSON.stringify(message);
    const signature = signWebhook(webhookSecrets, rawBody, messageId);
    const answer = await guardFetch(what, () =>
      client.POST("/webhooks", {
        params: { header: signature },
        body: message,
        // Send exactly the bytes that were signed.
        bodySerializer: () => rawBody,
        parseAs: "text",
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
    const { response } = answer;
    if (!response.ok) throw failureFromResponse(response.status, response.headers, what, shortErrorCode(answer.error));
    return parseAnswer(receiveResultSchema, typeof answer.data === "string" ? answer.data : "", response.status, what, true);
  }

  return {
    targetId,

    async createWorkOrder(order: WorkOrderPayload, idempotencyKey: string): Promise<RemoteWorkOrder> {
      const messageId = await deriveMessageId("work_order.created", idempotencyKey);
      const result = await push(
        { type: "work_order.created", workOrder: toProtocolWorkOrder(order) },
        messageId,
        `contractor ${targetId} work_order.created`,
      );
      return {
        workOrderId: result.contractorReference ?? order.externalRef,
        externalRef: order.externalRef,
        statusCode: SENT_STATUS_CODE,
      };
    },

    async findByExternalRef(externalRef: string): Promise<RemoteWorkOrder | null> {
      const what = `contractor ${targetId} work-order lookup`;
      // Signed over the empty body, so that the contractor knows the read comes from Silta.
      const signature = signWebhook(webhookSecrets, "", newMessageId());
      const answer = await guardFetch(what, () =>
        client.GET("/work-orders/{workOrderId}", {
          params: { path: { workOrderId: externalRef }, header: signature },
          parseAs: "text",
          signal: AbortSignal.timeout(timeoutMs),
        }),
      );
      const { response } = answer;
      if (response.status === 404) return null;
      if (!response.ok) throw failureFromResponse(response.status, response.headers, what, shortErrorCode(answer.error));
      const found = parseAnswer(
        contractorWorkOrderSchema,
        typeof answer.data === "string" ? answer.data : "",
        response.status,
        what,
      );
      if (found.workOrderId !== externalRef) {
        throw new SiltaError("target_bad_response", `${what} answered for another work order`, {
          httpStatus: response.status,
          context: { targetId },
        });
      }
      return { workOrderId: found.contractorReference, externalRef, statusCode: found.status };
    },

    async cancelWorkOrder(order: { workOrderId: string | null; externalRef: string }, reason: string): Promise<void> {
      // One cancellation per work order: a retried cancel keeps its webhook-id.
      const messageId = await deriveMessageId("work_order.cancelled", order.externalRef);
      const hasOwnReference = order.workOrderId !== null && order.workOrderId !== order.externalRef;
      await push(
        {
          type: "work_order.cancelled",
          workOrder: {
            workOrderId: order.externalRef,
            ...(hasOwnReference && order.workOrderId !== null ? { contractorReference: order.workOrderId } : {}),
          },
          reason,
        },
        messageId,
        `contractor ${targetId} work_order.cancelled`,
      );
    },

    async verifyWebhook(headers: HeaderMap, rawBody: string): Promise<FieldEvent[]> {
      try {
        verifyWebhookSignature(inboundSecrets, headers, rawBody);
      } catch (error) {
        // The library parses the body after a good signature; a signed but broken body is malformed, not forged.
        if (error instanceof SiltaError) throw error;
        throw new SiltaError("webhook_malformed", "contractor event webhook body is not JSON", { cause: error });
      }
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch (error) {
        throw new SiltaError("webhook_malformed", "contractor event webhook body is not JSON", { cause: error });
      }
      const parsed = fieldEventBatchSchema.safeParse(json);
      if (!parsed.success) {
        throw new SiltaError("webhook_malformed", `contractor event webhook rejected: ${issueSummary(parsed.error)}`, {
          context: { targetId },
        });
      }
      return parsed.data.events.map((event) => ({
        // Namespaced by contractor: two contractors may well use the same event ids.
        eventId: `${targetId}:${event.eventId}`,
        externalRef: event.workOrderId,
        workOrderId: event.workOrderId,
        statusCode: event.status,
        occurredAt: event.occurredAt,
        note: event.note ?? null,
      }));
    },
  };
}

/** Runs one call, turning a thrown network error or timeout into a classified SiltaError. */
async function guardFetch<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw failureFromFetchError(error, what);
  }
}

/**
 * Validates a successful answer. An empty body is accepted where every field is optional
 * (`allowEmpty`); anything unreadable is a bad response (transient: the retry repeats the same
 * message id, so the contractor does not store the order twice).
 */
function parseAnswer<S extends z.ZodType>(
  schema: S,
  text: string,
  status: number,
  what: string,
  allowEmpty = false,
): z.output<S> {
  const bad = (reason: string, cause?: unknown): SiltaError =>
    new SiltaError("target_bad_response", `${what} answered HTTP ${status} with ${reason}`, { httpStatus: status, cause });
  if (text.length > MAX_ANSWER_BYTES) throw bad("an oversized body");
  let json: unknown = {};
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw bad("a body that is not JSON", error);
    }
  } else if (!allowEmpty) {
    throw bad("an empty body");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw bad(`an unexpected body (${issueSummary(parsed.error)})`);
  return parsed.data;
}

/** Field paths and messages only: values (which may be personal data) never reach an error. */
function issueSummary(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`)
    .join("; ");
}

/**
 * A short machine code from an error body (`{error:{code}}`, `{code}` or `{error:"..."}`), so that
 * a rejection carries its reason without echoing free text that could hold personal data.
 */
function shortErrorCode(body: unknown): string {
  const candidates: unknown[] = [];
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    const nested = record.error;
    if (nested && typeof nested === "object") candidates.push((nested as Record<string, unknown>).code);
    candidates.push(nested, record.code);
  }
  const code = candidates.find((item): item is string => typeof item === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(item));
  return code ?? "";
}
