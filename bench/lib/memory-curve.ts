/**
 * The memory curve of one Silta child process, from the `silta-memory` lines its probe
 * (bench/lib/memory-probe.ts) writes: idle RSS before the first case, RSS when 10 %, 50 % and
 * 100 % of the round trips had completed, and the peaks of RSS, V8 heap and external memory.
 */
export interface MemoryCurve {
  /** RSS (MB) of the started process before any case arrived. */
  idleRssMb: number;
  /** RSS (MB) at the first sample after 10 %, 50 % and 100 % of the round trips completed. */
  rssAtMb: { p10: number; p50: number; p100: number };
  /** Peaks (MB) over the run, of the samples (the kernel's VmHWM is in `peakRssMb`). */
  peakRssMb: number;
  peakHeapUsedMb: number;
  /** V8's heap as reserved (used plus garbage not yet collected plus free pages). */
  peakHeapTotalMb: number;
  peakExternalMb: number;
  samples: number;
}

export const MEMORY_SAMPLE_MS = 1000;
const MB = 1_048_576;
const mb = (bytes: number) => Math.round(bytes / MB);

interface Sample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

/** `trace`, when given, receives every sample (time, progress, sample) as a line. */
export function createMemoryCurve(trace?: (line: string) => void) {
  let progress = 0;
  let idle: number | null = null;
  let last: Sample | null = null;
  let peak: Sample = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 };
  let samples = 0;
  const at: { p10: number | null; p50: number | null; p100: number | null } = { p10: null, p50: null, p100: null };
  return {
    /** Takes one stderr line; returns false when it is not a probe line. */
    take(line: string): boolean {
      if (!line.startsWith("silta-memory ")) return false;
      const s = JSON.parse(line.slice("silta-memory ".length)) as Sample;
      samples++;
      last = s;
      peak = {
        rss: Math.max(peak.rss, s.rss),
        heapTotal: Math.max(peak.heapTotal, s.heapTotal),
        heapUsed: Math.max(peak.heapUsed, s.heapUsed),
        external: Math.max(peak.external, s.external),
      };
      trace?.(`${Date.now()} ${progress.toFixed(3)} ${JSON.stringify(s)}`);
      if (progress >= 0.1 && at.p10 === null) at.p10 = s.rss;
      if (progress >= 0.5 && at.p50 === null) at.p50 = s.rss;
      if (progress >= 1 && at.p100 === null) at.p100 = s.rss;
      return true;
    },
    /** Marks the end of the idle period (the first case is about to arrive). */
    markIdle(): void {
      idle = last?.rss ?? null;
    },
    /** Completed share of the run (0–1), as the bench sees it. */
    setProgress(share: number): void {
      progress = share;
    },
    result(): MemoryCurve {
      const end = last?.rss ?? 0;
      return {
        idleRssMb: mb(idle ?? 0),
        rssAtMb: { p10: mb(at.p10 ?? end), p50: mb(at.p50 ?? end), p100: mb(at.p100 ?? end) },
        peakRssMb: mb(peak.rss),
        peakHeapUsedMb: mb(peak.heapUsed),
        peakHeapTotalMb: mb(peak.heapTotal),
        peakExternalMb: mb(peak.external),
        samples,
      };
    },
  };
}
