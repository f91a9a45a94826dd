import { createContractorApiWorkOrderSystem } from "../../adapters/contractor-api/client.ts";
import { createStaraWorkOrderSystem } from "../../adapters/stara/client.ts";
import type { TargetConnection } from "../config/config.ts";
import { ConfigError, targetEnvPrefix } from "../config/config.ts";
import type { Mappings } from "../mappings/mappings.ts";
import type { WorkOrderSystem } from "../ports/work-order-system.ts";

/**
 * Builds one WorkOrderSystem per target in the mappings, from its connection settings.
 * A target whose settings are missing stops start-up with the names of the missing settings.
 */
export function createTargetSystems(
  mappings: Mappings,
  connections: Record<string, TargetConnection>,
  timeoutMs: number,
): Map<string, WorkOrderSystem> {
  const systems = new Map<string, WorkOrderSystem>();
  const problems: string[] = [];
  for (const target of mappings.targets.values()) {
    const connection = connections[target.id];
    const prefix = targetEnvPrefix(target.id);
    const missing = (suffix: string) => problems.push(`${prefix}${suffix}: required for target "${target.id}" (${target.kind})`);
    if (!connection?.url) missing("URL");
    if (!connection || connection.webhookSecrets.length === 0) missing("WEBHOOK_SECRETS");
    if (target.kind === "stara" && !connection?.token) missing("TOKEN");
    if (!connection?.url || connection.webhookSecrets.length === 0) continue;
    if (target.kind === "stara") {
      if (!connection.token) continue;
      systems.set(
        target.id,
        createStaraWorkOrderSystem({
          targetId: target.id,
          baseUrl: connection.url,
          token: connection.token,
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
  if (problems.length > 0) {
    throw new ConfigError(
      `Silta cannot start: target connections are incomplete:\n  ${problems.join("\n  ")}\nSee README.md, "Configuration".`,
    );
  }
  return systems;
}
