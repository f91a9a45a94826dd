import { describe, expect, it } from "vitest";
import { compareOne } from "../../src/domain/reconcile/check-targets.ts";
import type { OpenLink } from "../../src/domain/reconcile/open-links.ts";
import type { CanonicalStatus } from "../../src/kernel/status.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";

const stara = loadMappingsFromDir(MAPPINGS_DIR).targets.get("stara");
if (!stara) throw new Error("the shipped mappings have no stara target");

function link(fieldStatus: CanonicalStatus): OpenLink {
  return {
    id: 7,
    caseId: "c1",
    target: "stara",
    externalRef: "helsinki:c1:stara",
    workOrderId: "ST-1",
    state: "forwarded",
    fieldStatus,
    writtenBackStatus: null,
  };
}
const at = (statusCode: string) => ({ workOrderId: "ST-1", externalRef: "helsinki:c1:stara", statusCode });

describe("comparing a link with its target's order", () => {
  it.each([
    // link status, Stara's code (null: no order), expected finding kind, repair
    ["sent", "UUSI", null, null],
    ["received", "VASTAANOTETTU", null, null],
    ["sent", "VALMIS", "status_differs", "repull_status"],
    ["received", "TYÖN_ALLA", "status_differs", "repull_status"],
    ["in_progress", "VASTAANOTETTU", "status_differs", null],
    ["completed", "KESKEYTETTY", "status_differs", null],
    ["completed", "TYÖN_ALLA", "status_differs", null],
    ["received", "TUNTEMATON", "status_differs", null],
    ["received", null, "missing_in_target", "resend_create"],
    ["completed", null, "missing_in_target", null],
  ] as const)("Silta %s, Stara %s → %s (%s)", (linkStatus, code, kind, repair) => {
    const finding = compareOne(stara, link(linkStatus), code === null ? null : at(code));
    expect(finding?.kind ?? null).toBe(kind);
    expect(finding?.repair?.action ?? null).toBe(repair);
    if (finding) {
      expect(finding.subject).toBe("helsinki:c1:stara");
      expect(finding.suggestedAction.length).toBeGreaterThan(20);
    }
  });
});
