import { SiltaError } from "../../src/kernel/errors.ts";
import type { FieldEvent } from "../../src/ports/work-order-system.ts";
import { toFieldEvent } from "./events.ts";
import type { StaraConnectionOptions } from "./http.ts";
import { createStaraApi, STARA_DEFAULT_TIMEOUT_MS, sendToStara, staraFailure } from "./http.ts";
import { describeIssues, staraChangePageSchema } from "./wire.ts";

export type StaraChangeFeedOptions = StaraConnectionOptions;

export interface StaraChangePage {
  /** Changes in Stara's order; the eventIds equal those of the matching webhooks. */
  events: FieldEvent[];
  /** Pass to the next call; equals the given cursor when nothing was new. */
  nextCursor: string;
  /** More changes are waiting: call again at once instead of waiting for the next poll. */
  hasMore: boolean;
}

export interface StaraChangeFeed {
  /** One page of status changes after `cursor` (null: from the beginning). */
  listChanges(cursor: string | null, limit?: number): Promise<StaraChangePage>;
}

/** Stara's page size limits (`raja`). */
const MAX_LIMIT = 500;
const DEFAULT_LIMIT = 100;

/**
 * Polling access to Stara's change feed (`GET /api/v1/muutokset`), for when webhooks are off or
 * to catch up after an outage. The WorkOrderSystem port has no change feed of its own; the
 * poller persists `nextCursor` and de-duplicates events by id together with the webhook inbox.
 */
export function createStaraChangeFeed(options: StaraChangeFeedOptions): StaraChangeFeed {
  const api = createStaraApi(options);
  const timeoutMs = options.timeoutMs ?? STARA_DEFAULT_TIMEOUT_MS;
  return {
    async listChanges(cursor: string | null, limit = DEFAULT_LIMIT): Promise<StaraChangePage> {
      const what = "Stara change feed";
      const raja = Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
      const result = await sendToStara(what, timeoutMs, (signal) =>
        api.GET("/api/v1/muutokset", { params: { query: cursor === null ? { raja } : { jalkeen: cursor, raja } }, signal }),
      );
      if (!result.response.ok) throw staraFailure(what, result);
      const parsed = staraChangePageSchema.safeParse(result.data);
      if (!parsed.success) {
        throw new SiltaError(
          "target_bad_response",
          `${what}: answer does not fit Stara's schema: ${describeIssues(parsed.error)}`,
        );
      }
      return { events: parsed.data.muutokset.map(toFieldEvent), nextCursor: parsed.data.seuraava, hasMore: parsed.data.lisaa };
    },
  };
}
