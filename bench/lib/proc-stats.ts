// Readings from /proc: a process's memory and CPU time, a process tree's, the machine's load.
import { readdirSync, readFileSync } from 'node:fs';

/** RSS of a process (kB → MB) from /proc. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time (user + system) a process has used so far, in ms (from /proc, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  if (!f) throw new Error(`process ${pid} is gone: no /proc/${pid}/stat`);
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** A process and its descendants alive now, read from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (!f) continue;
    const ppid = Number(f[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  for (let todo = [root]; todo.length > 0;) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU time (ms) of a process tree: each live member's user + system time plus that of its children
 * already reaped (cutime + cstime), so every process is counted once, whether alive or gone.
 */
export function treeCpuMs(root: number): number {
  let ms = 0;
  for (const pid of processTree(root)) {
    const f = statFields(pid);
    if (f) ms += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
  }
  return ms;
}

/** The fields of /proc/<pid>/stat after the command name (state first); undefined once gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: the fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The 1-minute load average, to print beside every figure on a shared machine. */
export function loadAvg(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
