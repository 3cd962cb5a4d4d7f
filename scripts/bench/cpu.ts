import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time of the bench's processes, read from /proc/<pid>/stat (Linux; elsewhere the figures are left out).
 * Throughput on a shared 2-core machine moves with other people's work; CPU time per call moves much less, so it
 * is what tells whether a change to switchboard made a call cheaper.
 */
const ticksPerSecond = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU milliseconds of a process so far, or undefined where /proc is not there. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces: utime and stime are fields 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** Named processes whose CPU time is read around each measured segment. */
export type CpuProbe = Record<string, number>;

export function readCpu(probe: CpuProbe): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(probe)) {
    const ms = cpuMs(pid);
    if (ms === undefined) return undefined;
    out[name] = ms;
  }
  return out;
}
