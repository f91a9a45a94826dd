import type { OutsideCeilings } from "./outside-ceilings.ts";
import type { RoundTripResult } from "./round-trip.ts";

/**
 * Issue 23's targets, each with the figure this run measured: one Silta process on a PostgreSQL
 * server with 2,000 cases arriving at 500/s, unless the target says otherwise.
 */
export interface TargetRow {
  target: string;
  figure: string;
  met: boolean | null;
}

export interface TargetRuns {
  /** One process, server, polled (the reference run). */
  server1: RoundTripResult | null;
  /** Two processes, server, same load. */
  server2: RoundTripResult | null;
  /** One process, server, pushed at 200 cases/s. */
  pushed200: RoundTripResult | null;
  pglite: RoundTripResult | null;
  outside: OutsideCeilings;
}

const ok = (value: number | null | undefined, limit: number, atMost: boolean): boolean | null =>
  value === null || value === undefined ? null : atMost ? value <= limit : value >= limit;

export function targetRows(runs: TargetRuns): TargetRow[] {
  const { server1: one, server2: two, pushed200: pushed, pglite, outside } = runs;
  const rows: TargetRow[] = [];
  const cost = one?.perRoundTrip;
  rows.push({
    target: "Silta's CPU per round trip ≤ 3 ms",
    figure: cost ? `${cost.cpuMs.silta} ms (machine ${cost.cpuMs.machine} ms)` : "not measured",
    met: ok(cost?.cpuMs.silta, 3, true),
  });
  rows.push({
    target: "commits per round trip ≤ 2",
    figure: cost?.commits != null ? `${cost.commits} (${cost.transactions} transactions)` : "unknown in this run",
    met: ok(cost?.commits, 2, true),
  });
  const http = one?.httpCalls;
  rows.push({
    target: "HTTP calls per round trip at the protocol's minimum",
    figure: http
      ? `${cost?.httpCalls}: creates/cancels ${http.targetCreatesAndCancels}, look-ups ${http.targetLookups}, inbound field events ${http.inboundFieldEvents}, write-backs ${http.writeBacks}, polls ${http.polls}; minimum ${http.protocolMinimum} (1 create + ${http.minimumParts.fieldEvents} events the targets send + ${http.minimumParts.writeBacksKept} statuses the case system keeps)`
      : "not measured",
    met: http && cost ? cost.httpCalls <= http.protocolMinimum + 0.05 : null,
  });
  rows.push({
    target: "≥ 250 round trips/s",
    figure: one ? `${one.roundTripsPerSecond}/s` : "not measured",
    met: ok(one?.roundTripsPerSecond, 250, false),
  });
  rows.push({
    target: "2 processes at least as fast as 1",
    figure: one && two ? `${two.roundTripsPerSecond}/s with 2, ${one.roundTripsPerSecond}/s with 1` : "not measured",
    met: one && two ? two.roundTripsPerSecond >= one.roundTripsPerSecond : null,
  });
  const p99 = pushed?.hops.intakeToWorkOrder.p99;
  rows.push({
    target: "pushed intake → work order p99 ≤ 250 ms at 200 cases/s",
    figure: pushed
      ? `p99 ${p99} ms (p50 ${pushed.hops.intakeToWorkOrder.p50}); ${pushed.roundTripsPerSecond} round trips/s at ${pushed.arrivalRate} arriving`
      : "not measured",
    met: ok(p99, 250, true),
  });
  const serverRss = Math.max(0, ...(one?.peakRssMb ?? []), ...(two?.peakRssMb ?? []));
  rows.push({
    target: "peak RSS ≤ 300 MB (server)",
    figure: one ? `${serverRss} MB` : "not measured",
    met: one ? serverRss <= 300 : null,
  });
  const pgliteRss = pglite ? Math.max(...pglite.peakRssMb) : null;
  rows.push({
    target: "peak RSS ≤ 500 MB (PGlite)",
    figure: pglite ? `${pgliteRss} MB (${pglite.roundTripsPerSecond} round trips/s)` : "not measured",
    met: ok(pgliteRss, 500, true),
  });
  const pg = outside.pgbench;
  const ac = outside.autocannon;
  const commitsPerSecond = one && cost?.commits != null ? one.roundTripsPerSecond * cost.commits : null;
  const callsPerSecond = one && cost ? one.roundTripsPerSecond * cost.httpCalls : null;
  rows.push({
    target: "ceiling: pgbench, one-row insert, 8 clients",
    figure:
      "error" in pg
        ? pg.error
        : `${pg.commitsPerSecond} commits/s; Silta committed ${commitsPerSecond === null ? "?" : Math.round(commitsPerSecond)}/s (${commitsPerSecond === null ? "?" : ratio(commitsPerSecond, pg.commitsPerSecond)})`,
    met: null,
  });
  rows.push({
    target: "ceiling: autocannon → minimal Hono server",
    figure:
      "error" in ac
        ? ac.error
        : `${ac.requestsPerSecond} requests/s; Silta's round trips made ${callsPerSecond === null ? "?" : Math.round(callsPerSecond)} calls/s (${callsPerSecond === null ? "?" : ratio(callsPerSecond, ac.requestsPerSecond)})`,
    met: null,
  });
  return rows;
}

function ratio(a: number, b: number): string {
  return `${Math.round((a / b) * 1000) / 10} % of it`;
}

export function printTargets(rows: readonly TargetRow[]): void {
  console.log("\nIssue 23's targets (1 process, PostgreSQL server, 2,000 cases at 500/s unless stated)");
  for (const row of rows) {
    const mark = row.met === null ? "  " : row.met ? "✓ " : "✗ ";
    console.log(`  ${mark}${row.target}: ${row.figure}`);
  }
}
