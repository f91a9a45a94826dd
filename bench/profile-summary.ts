/**
 * Summarises a V8 CPU profile (`--cpu-prof`) of a Silta process: self time by package (GC,
 * drizzle-orm, postgres.js, hono, Silta's own code…) and the heaviest functions. Used to decide
 * what to cut in the round trip (issue 23); run the bench with
 * BENCH_SILTA_NODE_FLAGS="--max-semi-space-size=8 --heap-growing-percent=100 --cpu-prof --cpu-prof-dir=DIR".
 *
 *   node bench/profile-summary.ts DIR/CPU.….cpuprofile [--top 40]
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "40" }, help: { type: "boolean", short: "h", default: false } },
});
if (values.help || positionals.length === 0) {
  process.stdout.write("Usage: node bench/profile-summary.ts PROFILE.cpuprofile [--top N]\n");
  process.exit(values.help ? 0 : 2);
}

/** Which package (or part of Node) a frame's script belongs to. */
function bucket(url: string, name: string): string {
  if (name === "(garbage collector)") return "GC";
  if (name === "(idle)" || name === "(program)" || name === "(root)") return name;
  if (!url) return "native/V8";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) return "node internals";
  const src = /\/(src|adapters|bench)\/(.*)$/.exec(url);
  return src ? `silta ${src[1]}/${src[2]?.split("/")[0]}` : url;
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byBucket = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const b = bucket(url, functionName);
    if (b === "(idle)") {
      idle += us;
      continue;
    }
    total += us;
    byBucket.set(b, (byBucket.get(b) ?? 0) + us);
    const key = `${functionName || "(anonymous)"} ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(src|adapters|bench)\//, "$1/")}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle`);
  console.log("\nself time by package");
  for (const [b, us] of [...byBucket].sort((a, z) => z[1] - a[1]).slice(0, 25)) console.log(`  ${pct(us)}  ${b}`);
  console.log("\nheaviest functions (self time)");
  for (const [f, us] of [...byFunction].sort((a, z) => z[1] - a[1]).slice(0, Number(values.top)))
    console.log(`  ${pct(us)}  ${f}`);
}
