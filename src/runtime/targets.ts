import { createContractorApiWorkOrderSystem } from "../../adapters/contractor-api/client.ts";
import { createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import type { TargetConnection } from "../config/config.ts";
import { ConfigError, targetEnvPrefix } from "../config/config.ts";
import type { Mappings } from "../mappings/mappings.ts";
import type { WorkOrderSystem } from "../ports/work-order-system.ts";

/**
 * Builds one WorkOrderSystem per target in the mappings, from its connection settings
 * (already checked complete by parseConfig).
 */
export function createTargetSystems(
  mappings: Mappings,
  connections: Record<string, TargetConnection>,
  timeoutMs: number,
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
    if (target.kind === "stara") {
      systems.set(
        target.id,
        createStaraWorkOrderSystem({
          targetId: target.id,
          baseUrl: connection.url,
          token: connection.token ?? "",
          webhookSecrets: connection.inboundSecrets.length > 0 ? connection.inboundSecrets : connection.webhookSecrets,
          timeoutMs,
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
        }),
      );
    }
  }
  return systems;
}
