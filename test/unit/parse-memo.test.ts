import { describe, expect, it } from "vitest";
import { parseCaseRecord } from "../../adapters/open311/parse.ts";
import { createCaseParseMemo } from "../../adapters/open311/parse-memo.ts";

const row = (id: string, description = "Kuoppa tiessä") => ({
  service_request_id: id,
  status: "open",
  service_code: "171",
  description,
  requested_datetime: "2026-11-22T10:00:00+02:00",
  updated_datetime: "2026-11-22T10:05:00+02:00",
  lat: 60.17,
  long: 24.94,
});

describe("the Open311 list parse memo", () => {
  it("hands back the same record for a row listed again unchanged, and parses a changed row afresh", () => {
    const memo = createCaseParseMemo();
    const first = memo.parse(row("1"));
    const again = memo.parse(JSON.parse(JSON.stringify(row("1"))));
    expect(first.ok && again.ok && again.record === first.record).toBe(true);
    const changed = memo.parse(row("1", "Kuoppa korjattu?"));
    expect(changed.ok && first.ok && changed.record !== first.record).toBe(true);
    expect(changed).toEqual(parseCaseRecord(row("1", "Kuoppa korjattu?")));
    expect(memo.counts).toEqual({ reused: 1, parsed: 2 });
  });

  it("answers a bad row with its reason every time and never remembers it", () => {
    const memo = createCaseParseMemo();
    const bad = { ...row("2"), status: 42 };
    expect(memo.parse(bad).ok).toBe(false);
    expect(memo.parse(bad).ok).toBe(false);
    expect(memo.counts.reused).toBe(0);
    expect(memo.parse("not an object")).toEqual(parseCaseRecord("not an object"));
  });

  it("holds at most its limit, forgetting the oldest first", () => {
    const memo = createCaseParseMemo(2);
    for (const id of ["a", "b", "c"]) memo.parse(row(id));
    memo.parse(row("c"));
    memo.parse(row("a"));
    expect(memo.counts).toEqual({ reused: 1, parsed: 4 });
  });
});
