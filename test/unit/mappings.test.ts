import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkMappings } from "../../src/mappings/check.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import { loadMappings, MappingError } from "../../src/mappings/mappings.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { HELSINKI_DATA_DIR } from "../support/paths.ts";

const shipped = (path: string) => readFileSync(join(MAPPINGS_DIR, path), "utf8");

/** Loads the shipped mappings with one file replaced by an edit of it. */
function loadWith(file: string, edit: (text: string) => string) {
  return () => loadMappings((path) => (path === file ? edit(shipped(path)) : shipped(path)));
}

function refusal(load: () => unknown): MappingError {
  try {
    load();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error("the mappings were accepted");
}

describe("mapping files", () => {
  it("the shipped mappings load", () => {
    const mappings = loadMappingsFromDir(MAPPINGS_DIR);
    expect([...mappings.targets.keys()]).toEqual(["stara", "contractor-east", "contractor-west"]);
    expect(mappings.targets.get("stara")?.inbound.get("TYÖN_ALLA")).toBe("in_progress");
  });

  it("reads a target's policy from targets.yaml; absent, keys are not trusted and the engine's breaker applies", () => {
    const edited = loadWith("targets.yaml", (t) =>
      t.replace(
        "sla: { acknowledgeMinutes: 60, completeDays: 7 }",
        "sla: { acknowledgeMinutes: 60, completeDays: 7 }\n    policy: { honoursIdempotencyKey: true, breaker: { openMs: 5000 } }",
      ),
    )();
    expect(edited.targets.get("stara")?.policy).toEqual({ honoursIdempotencyKey: true, breaker: { openMs: 5000 } });
    expect(edited.targets.get("contractor-east")?.policy).toEqual({ honoursIdempotencyKey: false, breaker: {} });
    const error = refusal(
      loadWith("targets.yaml", (t) =>
        t.replace("sla: { acknowledgeMinutes: 60", "policy: { retries: 3 }\n    sla: { acknowledgeMinutes: 60"),
      ),
    );
    expect(error.message).toMatch(/policy/);
  });

  it.each([
    [
      "an unknown target in a rule",
      "routing.yaml",
      (t: string) => t.replace("target: contractor-west", "target: contractor-north"),
      "rules[3].target",
      /unknown target "contractor-north"/,
    ],
    [
      "an unknown area",
      "routing.yaml",
      (t: string) => t.replace("areas: [ita]", "areas: [pohjoinen]"),
      "rules[2].areas[0]",
      /unknown area "pohjoinen"/,
    ],
    [
      "a rule code that is not field work",
      "routing.yaml",
      (t: string) => t.replace('serviceCodes: ["174", "211", "234"]', 'serviceCodes: ["174", "2806"]'),
      "rules[0].serviceCodes",
      /2806/,
    ],
    [
      "an inverted validity period",
      "routing.yaml",
      (t: string) => t.replace('validFrom: "2024-01-01"', 'validFrom: "2031-01-01"'),
      "rules[2].validTo",
      /before validFrom/,
    ],
    [
      "a status mapped to a non-canonical status",
      "status/stara.yaml",
      (t: string) => t.replace("VALMIS: completed", "VALMIS: done"),
      "inbound.VALMIS",
      /.+/,
    ],
    [
      "an unknown allowlist field",
      "targets.yaml",
      (t: string) => t.replace("allowlist: [serviceName, title,", "allowlist: [serviceName, socialSecurity,"),
      "targets[0].allowlist[1]",
      /.+/,
    ],
    ["broken YAML", "writeback.yaml", (t: string) => `${t}\n  : : [`, "", /not valid YAML/],
    [
      "a write-back works code in the wrong form",
      "writeback.yaml",
      (t: string) => t.replace("works: PUBLIC_WORKS_NEW", "works: NEW"),
      "statuses.sent.works",
      /.+/,
    ],
  ])("refuses %s, naming the file, the field and the reason", (_what, file, edit, field, reason) => {
    const error = refusal(loadWith(file, edit));
    expect(error.file).toBe(file);
    expect(error.field).toBe(field);
    expect(error.reason).toMatch(reason);
    expect(error.message).toContain(`${file}: ${field || "(file)"}`);
  });

  it("refuses a late-answer warning that does not come before the breach, for a target or a service", () => {
    const atTarget = refusal(
      loadWith("targets.yaml", (t) =>
        t.replace(
          "sla: { acknowledgeMinutes: 60, completeDays: 7 }",
          "sla: { acknowledgeMinutes: 60, completeDays: 7, warnDays: 7 }",
        ),
      ),
    );
    expect(atTarget).toMatchObject({ file: "targets.yaml", field: "targets[0].sla.warnDays" });
    const atService = refusal(
      loadWith("targets.yaml", (t) =>
        t.replace(
          "sla: { acknowledgeMinutes: 60, completeDays: 7 }",
          'sla: { acknowledgeMinutes: 60, completeDays: 7, services: { "178": { completeDays: 1, warnDays: 2 } } }',
        ),
      ),
    );
    expect(atService).toMatchObject({ field: "targets[0].sla.services.178.warnDays" });
    expect(atService.reason).toMatch(/must come before the breach/);
  });

  it("refuses a missing status table", () => {
    const error = refusal(() => loadMappings((path) => (path === "status/stara.yaml" ? undefined : shipped(path))));
    expect(error).toMatchObject({ file: "status/stara.yaml", reason: "file not found" });
  });

  it("check reports the service codes that no rule routes, against Helsinki's real service list", () => {
    const services = JSON.parse(readFileSync(join(HELSINKI_DATA_DIR, "helsinki-services-fi-2019-04.json"), "utf8")) as {
      service_code: string;
      service_name: string;
    }[];
    const report = checkMappings(
      loadMappingsFromDir(MAPPINGS_DIR),
      services.map((s) => ({ serviceCode: s.service_code, serviceName: s.service_name })),
    );
    expect(report.unrouted.map((s) => [s.serviceCode, s.coverage])).toEqual([
      ["2805", "not-field-work"],
      ["2806", "not-field-work"],
      ["2807", "not-field-work"],
      ["2808", "not-field-work"],
      ["2809", "not-field-work"],
    ]);
    expect(report.services.find((s) => s.serviceCode === "171")?.targets).toEqual([
      "stara",
      "contractor-east",
      "contractor-west",
    ]);
  });
});
