import { createOpen311CaseSystem } from "../../adapters/open311/client.ts";
import type { SiltaConfig } from "../config/config.ts";
import type { CaseSystem } from "../ports/case-system.ts";

/** The city's case system from the configuration, the same for every runtime and command. */
export function createCaseSystem(config: SiltaConfig): CaseSystem {
  return createOpen311CaseSystem({
    baseUrl: config.open311.url,
    ...(config.open311.apiKey ? { apiKey: config.open311.apiKey } : {}),
    timeoutMs: config.httpTimeoutMs,
  });
}
