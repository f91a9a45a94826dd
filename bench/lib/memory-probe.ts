/**
 * Loaded into the bench's Silta child processes with `node --import` (bench/lib/round-trip.ts),
 * so that Silta itself carries no bench code. Every BENCH_MEMORY_SAMPLE_MS it writes one line
 * `silta-memory {"rss":…,"heapUsed":…,…}` (bytes) to stderr, which the bench parses into the RSS
 * curve. With BENCH_HEAP_SNAPSHOT_DIR set, SIGUSR2 writes a heap snapshot there (see README
 * "Performance": open it in Chrome DevTools' Memory tab).
 */
import { writeHeapSnapshot } from "node:v8";

const everyMs = Number(process.env.BENCH_MEMORY_SAMPLE_MS ?? 0);
if (everyMs > 0) {
  const sample = () => {
    const m = process.memoryUsage();
    const line = {
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      // CPU time so far (µs), to weigh a memory setting against the CPU it costs.
      cpu: process.cpuUsage().user + process.cpuUsage().system,
    };
    process.stderr.write(`silta-memory ${JSON.stringify(line)}\n`);
  };
  // unref: the probe must not keep a stopping Silta alive.
  setInterval(sample, everyMs).unref();
}

const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT_DIR;
if (snapshotDir) {
  process.on("SIGUSR2", () => {
    const file = writeHeapSnapshot(`${snapshotDir}/silta-${process.pid}-${Date.now()}.heapsnapshot`);
    process.stderr.write(`silta-heap-snapshot ${file}\n`);
  });
}
