import { booleanPointInPolygon } from "@turf/boolean-point-in-polygon";
import type { Mappings, RoutingRule } from "../mappings/mappings.ts";
import type { CaseRecord } from "../ports/case-system.ts";

/** Why a case is not sent to field work. */
export type ExclusionReason =
  | "no_service_code"
  | "not_field_work"
  | "handed_elsewhere"
  | "city_cancelled"
  | "closed_at_source"
  /** A duplicate of a case Silta has: it shares that case's work order (duplicates.ts). */
  | "duplicate";

export type RoutingDecision = { kind: "routed"; target: string; ruleId: string } | { kind: "excluded"; reason: ExclusionReason };

function inArea(rule: RoutingRule, record: CaseRecord): boolean {
  if (!rule.areas) return true;
  if (record.lat === null || record.long === null) return false;
  const point: [number, number] = [record.long, record.lat];
  return rule.areas.some((area) => booleanPointInPolygon(point, area.feature));
}

function inPeriod(rule: RoutingRule, day: string): boolean {
  return (!rule.validFrom || rule.validFrom <= day) && (!rule.validTo || day <= rule.validTo);
}

/**
 * Chooses the target for a case: the first rule whose service code, area polygon and validity
 * period match, else the fallback target for field-work codes. The validity period is judged on
 * the day the case was reported, so a contract change does not move cases already under way.
 * `excludeTargets` lists targets that handed the case back (wrong contractor); `closedMeansResolved`
 * comes from the source profile.
 */
export function routeCase(
  mappings: Mappings,
  record: CaseRecord,
  options: { excludeTargets?: ReadonlySet<string>; rerouting?: boolean; closedMeansResolved?: boolean } = {},
): RoutingDecision {
  // A case without a service code cannot be routed, but it is a case: excluded, so the ledger counts it.
  if (record.serviceCode === "") return { kind: "excluded", reason: "no_service_code" };
  if (!mappings.fieldWorkServiceCodes.has(record.serviceCode)) return { kind: "excluded", reason: "not_field_work" };
  if (record.deskStatus && mappings.cityCancelDeskStatuses.has(record.deskStatus))
    return { kind: "excluded", reason: "city_cancelled" };
  // Where `closed` means resolved (a generic GeoReport v2 server), a case first seen closed needs no crew.
  // In Helsinki it means the desk forwarded the case, often to field work: never a reason to exclude.
  if (options.closedMeansResolved && !options.rerouting && record.status === "closed")
    return { kind: "excluded", reason: "closed_at_source" };
  // When re-routing, the PUBLIC_WORKS_* state is Silta's own write-back, not another system's.
  if (!options.rerouting && mappings.handedElsewhere === "exclude" && record.worksStatus)
    return { kind: "excluded", reason: "handed_elsewhere" };
  const day = (record.requestedAt ?? new Date().toISOString()).slice(0, 10);
  const excluded = options.excludeTargets ?? new Set<string>();
  for (const rule of mappings.rules) {
    if (excluded.has(rule.target)) continue;
    if (rule.serviceCodes.has(record.serviceCode) && inPeriod(rule, day) && inArea(rule, record)) {
      return { kind: "routed", target: rule.target, ruleId: rule.id };
    }
  }
  return { kind: "routed", target: mappings.fallbackTarget, ruleId: "fallback" };
}
