import type { Mappings } from "./mappings.ts";

export interface ServiceCoverage {
  serviceCode: string;
  serviceName: string | null;
  /** `rules`: at least one rule routes it; `fallback-only`: field work, but only the fallback takes it; `not-field-work`: excluded. */
  coverage: "rules" | "fallback-only" | "not-field-work";
  rules: string[];
  targets: string[];
}

export interface MappingsReport {
  targets: { id: string; kind: string; allowlist: string[] }[];
  services: ServiceCoverage[];
  /** Service codes that no rule routes: excluded as not field work, or left to the fallback. */
  unrouted: ServiceCoverage[];
}

/**
 * How each service code of the case system is routed. Service codes come from the case
 * system's `services.json` (or a file); the mappings' own codes are always included, so a
 * check without a service list still shows field-work codes that only the fallback catches.
 */
export function checkMappings(
  mappings: Mappings,
  services: { serviceCode: string; serviceName: string | null }[],
): MappingsReport {
  const names = new Map<string, string | null>();
  for (const s of services) names.set(s.serviceCode, s.serviceName);
  for (const code of mappings.fieldWorkServiceCodes) if (!names.has(code)) names.set(code, null);
  const coverage: ServiceCoverage[] = [...names.entries()]
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([serviceCode, serviceName]) => {
      const rules = mappings.rules.filter((r) => r.serviceCodes.has(serviceCode));
      const fieldWork = mappings.fieldWorkServiceCodes.has(serviceCode);
      return {
        serviceCode,
        serviceName,
        coverage: !fieldWork ? "not-field-work" : rules.length > 0 ? "rules" : "fallback-only",
        rules: rules.map((r) => r.id),
        targets: fieldWork ? [...new Set([...rules.map((r) => r.target), mappings.fallbackTarget])] : [],
      } satisfies ServiceCoverage;
    });
  return {
    targets: [...mappings.targets.values()].map((t) => ({ id: t.id, kind: t.kind, allowlist: [...t.allowlist] })),
    services: coverage,
    unrouted: coverage.filter((s) => s.coverage !== "rules"),
  };
}
