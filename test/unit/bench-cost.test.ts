import { describe, expect, it } from "vitest";
import { ceilingBound } from "../../bench/lib/ceilings.ts";
import { busyMsOfProcStat, cpuMsOfPidStat, processCpuMs } from "../../bench/lib/cpu-account.ts";

// The bench's cost figures explain the throughput gap (README "Performance"): their arithmetic
// and their reading of /proc are checked here; the figures themselves are never asserted.
describe("bench cost accounting", () => {
  it("counts busy time from /proc/stat's cpu line, leaving idle and iowait out", () => {
    // user nice system idle iowait irq softirq steal guest guest_nice, in 10 ms ticks
    const text = "cpu  100 5 50 9000 300 2 3 4 0 0\ncpu0 50 2 25 4500 150 1 1 2 0 0\n";
    expect(busyMsOfProcStat(text)).toBe((100 + 5 + 50 + 2 + 3 + 4) * 10);
    expect(() => busyMsOfProcStat("intr 1 2 3\n")).toThrow(/cpu/);
  });

  it("reads utime and stime after a command name with spaces and parentheses", () => {
    const fields = ["S", "1", "2", "3", "0", "-1", "4194560", "10", "0", "0", "0", "250", "40", "0", "0", "20", "0"];
    const text = `4242 (node (worker) x) ${fields.join(" ")}`;
    expect(cpuMsOfPidStat(text)).toBe((250 + 40) * 10);
    expect(() => cpuMsOfPidStat("4242 (node) S 1")).toThrow(/utime/);
  });

  it("reads this process's own CPU time from /proc", () => {
    let spin = 0;
    for (let i = 0; i < 5e6; i++) spin += i % 7;
    expect(spin).toBeGreaterThan(0);
    const { user, system } = process.cpuUsage();
    const own = processCpuMs(process.pid);
    // /proc counts in 10 ms ticks; process.cpuUsage in microseconds.
    expect(own).toBeGreaterThan(0);
    expect(Math.abs(own - (user + system) / 1000)).toBeLessThan(100);
    expect(processCpuMs(undefined)).toBe(0);
  });

  it("bounds round trips by the share of each ceiling a round trip takes", () => {
    // 5 commits at 2,500/s take 2 ms, 5 calls at 5,000/s take 1 ms: 3 ms, 333 round trips/s.
    expect(ceilingBound({ commits: 5, httpCalls: 5 }, { commitsPerSecond: 2500, requestsPerSecond: 5000 })).toBe(333);
    // Halving the commits only: 1 ms + 1 ms.
    expect(ceilingBound({ commits: 2.5, httpCalls: 5 }, { commitsPerSecond: 2500, requestsPerSecond: 5000 })).toBe(500);
    expect(() => ceilingBound({ commits: 1, httpCalls: 1 }, { commitsPerSecond: 0, requestsPerSecond: 1 })).toThrow();
  });
});
