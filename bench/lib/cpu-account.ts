import { readFileSync } from "node:fs";

/**
 * Where a run's CPU went: the whole machine (/proc/stat), the Silta children (/proc/<pid>/stat)
 * and this bench process, which runs the simulators. The rest is PostgreSQL (and whatever else the
 * machine ran). Linux only; elsewhere every figure reads 0.
 */
export interface CpuSplit {
  machineMs: number;
  siltaMs: number;
  simulatorsMs: number;
  /** machine − Silta − simulators: the database server and anything else on the machine. */
  restMs: number;
}

/** Clock ticks per second of /proc's counters: USER_HZ, 100 on every Linux build that matters. */
const TICK_MS = 10;

/** Busy ms of all cores in /proc/stat's text: its `cpu` line's user, nice, system, irq, softirq and steal (not idle, iowait). */
export function busyMsOfProcStat(text: string): number {
  const line = text.split("\n", 1)[0] ?? "";
  if (!line.startsWith("cpu ")) throw new Error(`/proc/stat: expected the "cpu" line first, got "${line.slice(0, 40)}"`);
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * TICK_MS;
}

/** User + system ms in a /proc/<pid>/stat text. */
export function cpuMsOfPidStat(text: string): number {
  // The command name is in parentheses and may hold spaces and parentheses itself: the fields
  // after its last ")" start at state, and utime and stime are the 12th and 13th of them.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`/proc/<pid>/stat: no utime and stime in "${text.slice(0, 80)}"`);
  return ticks * TICK_MS;
}

function machineBusyMs(): number {
  try {
    return busyMsOfProcStat(readFileSync("/proc/stat", "utf8"));
  } catch {
    return 0;
  }
}

/** User + system time of a live process, in ms (0 once it has exited, or off Linux). */
export function processCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    return cpuMsOfPidStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return 0;
  }
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Starts the account of the machine, this process and the given Silta processes. `finish` must
 * run while they still run: a reaped process has no /proc entry. It returns the split since now.
 */
export function startCpuAccount(siltaPids: readonly (number | undefined)[]) {
  const siltaMs = () => siltaPids.reduce<number>((sum, pid) => sum + processCpuMs(pid), 0);
  const machine0 = machineBusyMs();
  const own0 = ownCpuMs();
  const silta0 = siltaMs();
  return {
    finish(): CpuSplit {
      const machineMs = machineBusyMs() - machine0;
      const simulatorsMs = ownCpuMs() - own0;
      const silta = siltaMs() - silta0;
      return {
        machineMs: Math.round(machineMs),
        siltaMs: Math.round(silta),
        simulatorsMs: Math.round(simulatorsMs),
        restMs: Math.max(0, Math.round(machineMs - silta - simulatorsMs)),
      };
    },
  };
}
