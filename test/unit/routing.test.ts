import { describe, expect, it } from "vitest";
import { routeCase } from "../../src/domain/routing.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";
import { makeCase, PLACES } from "../support/fakes.ts";

const mappings = loadMappingsFromDir(MAPPINGS_DIR);

describe("routeCase with the shipped Helsinki mappings", () => {
  it.each([
    ["pothole in the east", { serviceCode: "171", ...PLACES.east }, "contractor-east", "east-street-maintenance"],
    ["pothole in the west", { serviceCode: "171", ...PLACES.west }, "contractor-west", "west-street-maintenance"],
    ["graffiti in the centre", { serviceCode: "176", ...PLACES.centre }, "stara", "stara-city-centre"],
    ["park in the east", { serviceCode: "174", ...PLACES.east }, "stara", "stara-parks-and-forests"],
    ["sign between areas", { serviceCode: "198", ...PLACES.northCentral }, "stara", "fallback"],
    ["litter without a location", { serviceCode: "246", lat: null, long: null }, "stara", "fallback"],
    [
      "pothole after the contract period",
      { serviceCode: "171", ...PLACES.east, requestedAt: "2030-02-01T10:00:00+02:00" },
      "stara",
      "fallback",
    ],
    [
      "pothole before the contract period",
      { serviceCode: "171", ...PLACES.west, requestedAt: "2023-12-31T10:00:00+02:00" },
      "stara",
      "fallback",
    ],
  ])("%s", (_what, overrides, target, ruleId) => {
    expect(routeCase(mappings, makeCase(overrides))).toEqual({ kind: "routed", target, ruleId });
  });

  it.each([
    ["a department code", { serviceCode: "2806" }, "not_field_work"],
    ["a code missing from services.json", { serviceCode: "178" }, "not_field_work"],
    ["a case already handed to public works", { worksStatus: "PUBLIC_WORKS_NEW" }, "handed_elsewhere"],
    ["a rejected case", { deskStatus: "REJECTED" }, "city_cancelled"],
  ])("excludes %s", (_what, overrides, reason) => {
    expect(routeCase(mappings, makeCase(overrides))).toEqual({ kind: "excluded", reason });
  });

  it("skips targets that handed the case back, and ignores Silta's own write-back when re-routing", () => {
    const record = makeCase({ ...PLACES.east, worksStatus: "PUBLIC_WORKS_NEW" });
    expect(routeCase(mappings, record, { excludeTargets: new Set(["contractor-east"]), rerouting: true })).toEqual({
      kind: "routed",
      target: "stara",
      ruleId: "fallback",
    });
  });
});
