import type { Feature, MultiPolygon, Polygon } from "geojson";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import type { CanonicalStatus } from "../kernel/status.ts";
import type { Open311UpdateStatus } from "../ports/case-system.ts";
import {
  type AllowlistField,
  areasFileSchema,
  routingFileSchema,
  statusTableSchema,
  type TargetKind,
  targetsFileSchema,
  writebackFileSchema,
} from "./schema.ts";

/** A mapping file was refused: which file, which field, and why. Nothing of it is applied. */
export class MappingError extends Error {
  readonly file: string;
  readonly field: string;
  readonly reason: string;
  constructor(file: string, field: string, reason: string) {
    super(`${file}: ${field || "(file)"}: ${reason}`);
    this.name = "MappingError";
    this.file = file;
    this.field = field;
    this.reason = reason;
  }
}

export interface TargetPolicy {
  /** The target de-duplicates creates by Idempotency-Key: a retry after a clear failure needs no lookup first. */
  honoursIdempotencyKey: boolean;
  /** Overrides of the engine's circuit breaker for this target. */
  breaker: { failureThreshold?: number | undefined; openMs?: number | undefined };
  /** Work orders by e-mail while the target is paused or failing longer than `afterMinutes`; absent: none. */
  fallback?: { email: string; afterMinutes: number } | undefined;
}

export interface TargetMapping {
  id: string;
  kind: TargetKind;
  name: string;
  allowlist: ReadonlySet<AllowlistField>;
  /** Acknowledge within minutes; complete within days (the city's promise or the contract's terms); progress within hours. */
  sla: {
    acknowledgeMinutes: number;
    completeDays: number;
    progressHours?: number | undefined;
    warnDays?: number | undefined;
    services?: Record<string, { completeDays: number; warnDays?: number | undefined }> | undefined;
  };
  /** Per-target policy from targets.yaml (defaults: keys not trusted, the engine's breaker). */
  policy: TargetPolicy;
  /** The target's raw status code → canonical status. */
  inbound: ReadonlyMap<string, CanonicalStatus>;
  /** Canonical status → the target's code. */
  outbound: Partial<Record<CanonicalStatus, string>>;
}

export interface RoutingRule {
  id: string;
  serviceCodes: ReadonlySet<string>;
  /** Area polygons by name; absent means anywhere. */
  areas: { name: string; feature: Feature<Polygon | MultiPolygon> }[] | null;
  validFrom: string | null;
  validTo: string | null;
  target: string;
}

export interface WritebackStatus {
  open311: Open311UpdateStatus;
  works: string;
  note: { fi: string; en: string };
}

export interface Mappings {
  city: string;
  targets: ReadonlyMap<string, TargetMapping>;
  fieldWorkServiceCodes: ReadonlySet<string>;
  handedElsewhere: "exclude" | "route";
  cityCancelDeskStatuses: ReadonlySet<string>;
  cityReworkDeskStatuses: ReadonlySet<string>;
  rules: readonly RoutingRule[];
  fallbackTarget: string;
  writeback: { locale: "fi" | "en"; statuses: Partial<Record<CanonicalStatus, WritebackStatus>> };
  /** Every area polygon by name (for `mappings check` and the console). */
  areaNames: readonly string[];
}

/** Reads a file's text by its path relative to the mappings folder; undefined when missing. */
export type MappingFileReader = (relativePath: string) => string | undefined;

function parseFile<S extends z.ZodType>(read: MappingFileReader, file: string, schema: S, format: "yaml" | "json"): z.infer<S> {
  const text = read(file);
  if (text === undefined) throw new MappingError(file, "", "file not found");
  let data: unknown;
  try {
    data = format === "yaml" ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new MappingError(file, "", `not valid ${format.toUpperCase()}: ${(error as Error).message.split("\n")[0]}`);
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue
      ? issue.path
          .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
          .join("")
          .replace(/^\./, "")
      : "";
    throw new MappingError(file, field, issue?.message ?? "invalid");
  }
  return result.data;
}

/**
 * Loads and cross-checks every mapping file. Either all of them are valid and a complete
 * Mappings comes back, or a MappingError names the first problem: a half-valid set is never used.
 */
export function loadMappings(read: MappingFileReader): Mappings {
  const targetsFile = parseFile(read, "targets.yaml", targetsFileSchema, "yaml");
  const routingFile = parseFile(read, "routing.yaml", routingFileSchema, "yaml");
  const writebackFile = parseFile(read, "writeback.yaml", writebackFileSchema, "yaml");
  const areasFile = parseFile(read, routingFile.areas, areasFileSchema, "json");

  const targets = new Map<string, TargetMapping>();
  const tables = new Map<string, z.infer<typeof statusTableSchema>>();
  for (const [index, target] of targetsFile.targets.entries()) {
    if (targets.has(target.id))
      throw new MappingError("targets.yaml", `targets[${index}].id`, `duplicate target id "${target.id}"`);
    let table = tables.get(target.statusTable);
    if (!table) {
      table = parseFile(read, target.statusTable, statusTableSchema, "yaml");
      tables.set(target.statusTable, table);
    }
    for (const [code, terms] of [["*", target.sla] as const, ...Object.entries(target.sla.services ?? {})]) {
      if (terms.warnDays !== undefined && terms.warnDays >= terms.completeDays)
        throw new MappingError(
          "targets.yaml",
          `targets[${index}].sla${code === "*" ? "" : `.services.${code}`}.warnDays`,
          `the warning (${terms.warnDays} d) must come before the breach (completeDays ${terms.completeDays} d)`,
        );
    }
    targets.set(target.id, {
      id: target.id,
      kind: target.kind,
      name: target.name,
      allowlist: new Set(target.allowlist),
      sla: target.sla,
      policy: {
        honoursIdempotencyKey: target.policy?.honoursIdempotencyKey ?? false,
        breaker: { ...target.policy?.breaker },
        ...(target.policy?.fallback ? { fallback: target.policy.fallback } : {}),
      },
      inbound: new Map(Object.entries(table.inbound)),
      outbound: table.outbound,
    });
  }

  const areas = new Map<string, Feature<Polygon | MultiPolygon>>();
  for (const [index, feature] of areasFile.features.entries()) {
    if (areas.has(feature.properties.name)) {
      throw new MappingError(
        routingFile.areas,
        `features[${index}].properties.name`,
        `duplicate area "${feature.properties.name}"`,
      );
    }
    areas.set(feature.properties.name, feature as Feature<Polygon | MultiPolygon>);
  }

  const knownTargets = [...targets.keys()].join(", ");
  const fieldWork = new Set(routingFile.fieldWorkServiceCodes);
  const rules: RoutingRule[] = routingFile.rules.map((rule, index) => {
    const at = `rules[${index}]`;
    if (!targets.has(rule.target)) {
      throw new MappingError("routing.yaml", `${at}.target`, `unknown target "${rule.target}" (known: ${knownTargets})`);
    }
    for (const code of rule.serviceCodes) {
      if (!fieldWork.has(code)) {
        throw new MappingError("routing.yaml", `${at}.serviceCodes`, `service code "${code}" is not in fieldWorkServiceCodes`);
      }
    }
    if (rule.validFrom && rule.validTo && rule.validFrom > rule.validTo) {
      throw new MappingError("routing.yaml", `${at}.validTo`, `validTo ${rule.validTo} is before validFrom ${rule.validFrom}`);
    }
    const ruleAreas = rule.areas?.map((name, areaIndex) => {
      const feature = areas.get(name);
      if (!feature) {
        throw new MappingError(
          "routing.yaml",
          `${at}.areas[${areaIndex}]`,
          `unknown area "${name}" (known: ${[...areas.keys()].join(", ")})`,
        );
      }
      return { name, feature };
    });
    return {
      id: rule.id,
      serviceCodes: new Set(rule.serviceCodes),
      areas: ruleAreas ?? null,
      validFrom: rule.validFrom ?? null,
      validTo: rule.validTo ?? null,
      target: rule.target,
    };
  });
  if (!targets.has(routingFile.fallback.target)) {
    throw new MappingError(
      "routing.yaml",
      "fallback.target",
      `unknown target "${routingFile.fallback.target}" (known: ${knownTargets})`,
    );
  }

  return {
    city: routingFile.city,
    targets,
    fieldWorkServiceCodes: fieldWork,
    handedElsewhere: routingFile.handedElsewhere,
    cityCancelDeskStatuses: new Set(routingFile.cityCancelDeskStatuses),
    cityReworkDeskStatuses: new Set(routingFile.cityReworkDeskStatuses),
    rules,
    fallbackTarget: routingFile.fallback.target,
    writeback: { locale: writebackFile.locale, statuses: writebackFile.statuses },
    areaNames: [...areas.keys()],
  };
}
