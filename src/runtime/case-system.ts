import { createOpen311CaseSystem } from "../../adapters/open311/client.ts";
import type { SiltaConfig } from "../config/config.ts";
import type { Logger } from "../domain/deps.ts";
import type { CaseSystem } from "../ports/case-system.ts";

/**
 * The city's case system from the configuration, the same for every runtime and command. With a
 * logger, what the adapter could not take is said out loud: a one-second window still at the
 * server's row cap (Helsinki answers at most 200 rows, so rows beyond it were not seen) and a
 * record that cannot be read (its id and the reason; never the row, which may hold personal data).
 */
export function createCaseSystem(config: SiltaConfig, log?: Logger): CaseSystem {
  return createOpen311CaseSystem({
    baseUrl: config.open311.url,
    ...(config.open311.apiKey ? { apiKey: config.open311.apiKey } : {}),
    timeoutMs: config.httpTimeoutMs,
    pushSecrets: config.open311.pushSecrets,
    profile: config.open311.profile,
    keyedLists: config.open311.intake === "keyed_list",
    ...(log
      ? {
          onTruncatedWindow: (window) =>
            log.error(
              { after: window.after.toISOString(), before: window.before.toISOString(), rows: window.rowCount },
              "open311 window still at the row cap at its smallest size: cases updated in it beyond the cap were not read",
            ),
          onCapLearnt: (cap) =>
            log.info({ cap }, "open311 list cap learnt from the server: windows answering this many rows are read smaller"),
          onRejectedRecord: (reject) =>
            log.warn(
              { serviceRequestId: reject.serviceRequestId, reason: reject.reason },
              "open311 record skipped: cannot be read",
            ),
        }
      : {}),
  });
}
