import { describe, expect, it } from "vitest";
import { parseCaseRecord } from "../../adapters/open311/parse.ts";
import { generateCases } from "../../adapters/open311/simulator/generate-cases.ts";
import { toHelsinkiIso } from "../../adapters/open311/simulator/helsinki-time.ts";
import { isValidPersonalIdentityCode } from "../../adapters/open311/simulator/personal-data.ts";
import type { CaseRecord } from "../../src/ports/case-system.ts";

const FROM = Date.parse("2026-01-01T00:00:00Z");
const TO = Date.parse("2026-02-01T00:00:00Z");
const cases = generateCases(2000, { seed: 7, from: FROM, to: TO });

function parsed(record: unknown): CaseRecord {
  const result = parseCaseRecord(record);
  if (!result.ok) throw new Error(result.reason);
  return result.record;
}

const records = cases.map((item) => parsed(item.record));

function share(predicate: (record: CaseRecord, index: number) => boolean): number {
  return records.filter(predicate).length / records.length;
}

describe("generateCases", () => {
  it("is deterministic from the seed", () => {
    const again = generateCases(50, { seed: 7, from: FROM, to: TO });
    expect(again).toEqual(cases.slice(0, 50));
    const other = generateCases(50, { seed: 8, from: FROM, to: TO });
    expect(other.map((item) => item.record.service_request_id)).not.toEqual(again.map((item) => item.record.service_request_id));
  });

  it("produces records Silta parses, with Helsinki ids and timestamps in range", () => {
    expect(new Set(records.map((record) => record.serviceRequestId)).size).toBe(2000);
    for (const record of records) {
      expect(record.serviceRequestId).toMatch(/^[0-9a-v]{20}$/);
      const updated = Date.parse(record.updatedAt ?? "");
      expect(updated).toBeGreaterThanOrEqual(FROM - 1000);
      expect(updated).toBeLessThan(TO);
      expect(Date.parse(record.requestedAt ?? "")).toBeLessThan(updated);
      expect(record.updatedAt).toMatch(/[+]0[23]:00$/);
    }
  });

  it("covers the field services and the department codes with English names or empty", () => {
    const codes = new Set(records.map((record) => record.serviceCode));
    for (const code of [
      "171",
      "172",
      "174",
      "176",
      "180",
      "198",
      "199",
      "211",
      "234",
      "246",
      "2805",
      "2806",
      "2807",
      "2808",
      "2809",
    ]) {
      expect(codes).toContain(code);
    }
    const names = new Set(records.filter((record) => record.serviceCode === "171").map((record) => record.serviceName));
    expect([...names].every((name) => name === "Potholes" || name === null)).toBe(true);
    expect(records.find((record) => record.serviceCode === "246" && record.serviceName !== null)?.serviceName).toBe(
      "Sanitation violation",
    );
  });

  it("keeps Helsinki's two status dimensions consistent", () => {
    for (const record of records) {
      expect(record.status).toBe(record.deskStatus === "PROCESSED" ? "closed" : "open");
      expect(record.tasks.some((task) => task.type === "moved_to_other_system")).toBe(record.worksStatus !== null);
      if (record.serviceCode.length === 4) expect(record.worksStatus).toBeNull();
      expect(record.tasks.length).toBeGreaterThan(0);
    }
    expect(share((record) => record.worksStatus === "PUBLIC_WORKS_NEW")).toBeGreaterThan(0.2);
    expect(share((record) => record.status === "closed" && record.worksStatus === "PUBLIC_WORKS_IN_PROGRESS")).toBeGreaterThan(
      0.05,
    );
  });

  it("spreads locations over the whole city, west, centre and east", () => {
    for (const record of records) {
      expect(record.lat).toBeGreaterThanOrEqual(60.15);
      expect(record.lat).toBeLessThanOrEqual(60.28);
      expect(record.long).toBeGreaterThanOrEqual(24.83);
      expect(record.long).toBeLessThanOrEqual(25.2);
      expect(record.address).toMatch(/^\S.* \d+, 00\d{3} Helsinki, Suomi$/);
    }
    expect(share((record) => (record.long ?? 0) < 24.9)).toBeGreaterThan(0.15);
    expect(share((record) => (record.long ?? 0) >= 24.9 && (record.long ?? 0) < 25)).toBeGreaterThan(0.15);
    expect(share((record) => (record.long ?? 0) >= 25.05)).toBeGreaterThan(0.15);
  });

  it("attaches https .jpg photos to some cases", () => {
    const withPhotos = records.filter((record) => record.mediaUrls.length > 0);
    expect(withPhotos.length / records.length).toBeGreaterThan(0.3);
    expect(withPhotos.length / records.length).toBeLessThan(0.6);
    for (const record of withPhotos) for (const url of record.mediaUrls) expect(url).toMatch(/^https:\/\/[^/]+\/.+\.jpg$/);
  });

  it("plants synthetic personal data in about a fifth of descriptions, and says where", () => {
    const planted = cases.filter((item) => item.plantedPersonalData?.inDescription);
    expect(planted.length / cases.length).toBeGreaterThan(0.15);
    expect(planted.length / cases.length).toBeLessThan(0.25);
    for (const item of planted) {
      const data = item.plantedPersonalData?.inDescription;
      const description = String(item.record.description);
      expect(data).toBeTruthy();
      if (!data) continue;
      expect(description).toContain(`${data.firstName} ${data.lastName}`);
      expect(description).toContain(data.email);
      expect(description).toContain(data.phone);
      expect(description).toContain(data.personalIdentityCode);
      expect(isValidPersonalIdentityCode(data.personalIdentityCode)).toBe(true);
      expect(data.personalIdentityCode).toMatch(/^\d{6}[-A]9\d\d[0-9A-Y]$/);
      expect(data.phone).toMatch(/^(\+358 \d{2}|0\d{2}) ?\d{3} ?\d{4}$/);
      expect(data.email).toMatch(/^[a-z._]+@example\.(fi|com|net)$/);
    }
    const clean = cases.filter((item) => !item.plantedPersonalData?.inDescription);
    for (const item of clean) expect(String(item.record.description)).not.toMatch(/@|\d{6}[-A]\d{3}/);
  });

  it("serves reporter fields for a share of cases", () => {
    const withReporter = cases.filter((item) => item.plantedPersonalData?.reporter);
    expect(withReporter.length / cases.length).toBeGreaterThan(0.1);
    expect(withReporter.length / cases.length).toBeLessThan(0.2);
    for (const item of withReporter) {
      const index = cases.indexOf(item);
      expect(records[index]?.reporter).toEqual({
        firstName: item.plantedPersonalData?.reporter?.firstName,
        lastName: item.plantedPersonalData?.reporter?.lastName,
        email: item.plantedPersonalData?.reporter?.email,
        phone: item.plantedPersonalData?.reporter?.phone,
      });
    }
  });

  it("follows the configured personal data fractions", () => {
    expect(
      generateCases(40, { seed: 3, personalDataFraction: 0, reporterFraction: 0 }).every(
        (item) => item.plantedPersonalData === null,
      ),
    ).toBe(true);
    expect(generateCases(40, { seed: 3, personalDataFraction: 1 }).every((item) => item.plantedPersonalData?.inDescription)).toBe(
      true,
    );
  });
});

describe("toHelsinkiIso", () => {
  it("writes Helsinki local time with the winter and summer offsets", () => {
    expect(toHelsinkiIso(Date.parse("2016-03-22T11:27:16.900Z"))).toBe("2016-03-22T13:27:16+02:00");
    expect(toHelsinkiIso(Date.parse("2013-05-02T08:02:07Z"))).toBe("2013-05-02T11:02:07+03:00");
    expect(Date.parse(toHelsinkiIso(Date.parse("2026-10-25T00:30:00Z")))).toBe(Date.parse("2026-10-25T00:30:00Z"));
  });
});
