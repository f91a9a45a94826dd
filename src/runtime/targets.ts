import { createContractorApiWorkOrderSystem } from "../../adapters/contractor-api/client.ts";
import { createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import type { TargetConnection } from "../config/config.ts";
import { ConfigError, targetEnvPrefix } from "../config/config.ts";
import { assertOutboundUrl, type OutboundPolicy, targetPolicy } from "../lib/outbound-guard.ts";
import type { Mappings } from "../mappings/mappings.ts";
import type { WorkOrderSystem } from "../ports/work-order-system.ts";

/** How a target's requests leave, given the policy its destination must keep (S5). */
export type OutboundFetchFactory = (
  targetId: string,
  policy: OutboundPolicy,
  timeoutMs: number,
) => (request: Request) => Promise<Response>;

/**
 * URL-level checks only, then `globalThis.fetch` looked up per call (msw still sees it). The
 * Worker uses this: it cannot resolve names, and Cloudflare's fetch does not reach private networks.
 * The Node runtime passes `guardedFetchFactory` (resolves, refuses, pins the address).
 */
export const urlCheckedFetchFactory: OutboundFetchFactory = (targetId, policy) => async (request) => {
  assertOutboundUrl(request.url, policy, `target ${targetId}`);
  return globalThis.fetch(request);
};

/**
 * Builds one WorkOrderSystem per target in the mappings, from its connection settings
 * (already checked complete by parseConfig). Each target may only reach its own configured host,
 * over https unless the operator opted it into a private network (`ALLOW_PRIVATE`).
 */
export function createTargetSystems(
  mappings: Mappings,
  connections: Record<string, TargetConnection>,
  timeoutMs: number,
  outboundFetch: OutboundFetchFactory = urlCheckedFetchFactory,
): Map<string, WorkOrderSystem> {
  const systems = new Map<string, WorkOrderSystem>();
  for (const target of mappings.targets.values()) {
    const connection = connections[target.id];
    // parseConfig has already refused incomplete connections; this guards callers that built one by hand.
    if (!connection?.url || connection.webhookSecrets.length === 0 || (target.kind === "stara" && !connection.token)) {
      throw new ConfigError(
        `${targetEnvPrefix(target.id)}*: the connection of target "${target.id}" is incomplete (see README, Configuration)`,
      );
    }
    const fetch = outboundFetch(target.id, targetPolicy(connection.url, connection.allowPrivate === true), timeoutMs);
    if (target.kind === "stara") {
      systems.set(
        target.id,
        createStaraWorkOrderSystem({
          targetId: target.id,
          baseUrl: connection.url,
          token: connection.token ?? "",
          webhookSecrets: connection.inboundSecrets.length > 0 ? connection.inboundSecrets : connection.webhookSecrets,
          timeoutMs,
          fetch,
        }),
      );
    } else {
      systems.set(
        target.id,
        createContractorApiWorkOrderSystem({
          targetId: target.id,
          endpointUrl: connection.url,
          webhookSecrets: connection.webhookSecrets,
          ...(connection.inboundSecrets.length > 0 ? { inboundSecrets: connection.inboundSecrets } : {}),
          timeoutMs,
          fetch,
        }),
      );
    }
  }
  return systems;
}
