import { readdirSync, readFileSync } from 'node:fs';

// Linux /proc readers: resident memory of the server child and where the CPU time of a phase went.
const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on every Linux this runs on

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A field of /proc/<pid>/status in MB (VmRSS: now, VmHWM: peak since start). */
export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const match = readText(`/proc/${pid}/status`)?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) / 1024 : undefined;
}

/** User and system CPU time a process has used, in ms. */
function processCpuSplitMs(pid: number): { user: number; system: number } | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Fields after "pid (comm) ": comm may hold spaces, so split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1000) / CLOCK_TICKS_PER_SECOND, system: (Number(fields[12]) * 1000) / CLOCK_TICKS_PER_SECOND };
}

/** User + system CPU time a process has used, in ms. */
export function processCpuMs(pid: number): number | undefined {
  const split = processCpuSplitMs(pid);
  return split && split.user + split.system;
}

// A client backend's title: "postgres: 15/main: <user> <database> <host>(<port>) <state>" (or [local]).
const CLIENT_BACKEND = /^postgres: [^:]+: \S+ (\S+) (?:[\d.:a-f]+\(\d+\)|\[local\])/;

/**
 * CPU ms by pid of the postgres processes serving this bench: backends connected to `database` and the shared
 * auxiliary processes (WAL writer, checkpointer …). Backends of other databases (e.g. a test run) are left out.
 */
function postgresCpuByPid(database: string | undefined): Map<number, number> {
  const result = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (readText(`/proc/${pid}/comm`)?.trim() !== 'postgres') continue;
    const title = readText(`/proc/${pid}/cmdline`)?.replace(/\0/g, ' ').trim() ?? '';
    const backendOf = CLIENT_BACKEND.exec(title)?.[1];
    if (backendOf !== undefined && database !== undefined && backendOf !== database) continue;
    const cpu = processCpuMs(pid);
    if (cpu !== undefined) result.set(pid, cpu);
  }
  return result;
}

/** Busy and total CPU ms of the whole machine (all cores). */
function machineCpuMs(): { busy: number; total: number } {
  const line = readText('/proc/stat')?.split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: ((total - idle) * 1000) / CLOCK_TICKS_PER_SECOND, total: (total * 1000) / CLOCK_TICKS_PER_SECOND };
}

export interface CpuBreakdown {
  /** CPU ms of this process (the load generator, or the bare-pg floor). */
  benchMs: number;
  /** Of which in the kernel (system time: sockets, syscalls). */
  benchSystemMs: number;
  /** CPU ms of the server child (0 when there is none). */
  serverMs: number;
  serverSystemMs: number;
  /** CPU ms of the Stripe stub child (0 when there is none). */
  stubMs: number;
  /** CPU ms of the postgres processes serving the bench database. */
  postgresMs: number;
  /** CPU ms of everything else on the machine (other users' work, kernel threads): large values spoil a run. */
  otherMs: number;
  /** Busy CPU ms of the whole machine; what is left over is the kernel's network work and anything else. */
  machineBusyMs: number;
  /** Busy share of the machine over the phase, 0–1. */
  machineBusyShare: number;
  /** CPU ms the machine had over the phase (wall time × cores). */
  machineMs: number;
}

/** Starts measuring CPU use; call the returned function at the end of the phase. */
export function startCpuMeter(o: { serverPid?: number; stubPid?: number; database?: string }): () => CpuBreakdown {
  const { serverPid, stubPid, database } = o;
  const bench0 = process.cpuUsage();
  const zero = { user: 0, system: 0 };
  const server0 = serverPid === undefined ? zero : (processCpuSplitMs(serverPid) ?? zero);
  const stub0 = stubPid === undefined ? 0 : (processCpuMs(stubPid) ?? 0);
  const pg0 = postgresCpuByPid(database);
  const machine0 = machineCpuMs();
  return () => {
    const bench = process.cpuUsage(bench0);
    const server1 = serverPid === undefined ? zero : (processCpuSplitMs(serverPid) ?? server0);
    let postgresMs = 0;
    for (const [pid, cpu] of postgresCpuByPid(database)) postgresMs += cpu - (pg0.get(pid) ?? 0);
    const machine1 = machineCpuMs();
    const total = machine1.total - machine0.total;
    const benchMs = (bench.user + bench.system) / 1000;
    const serverMs = server1.user + server1.system - server0.user - server0.system;
    const stubMs = stubPid === undefined ? 0 : (processCpuMs(stubPid) ?? stub0) - stub0;
    const machineBusyMs = machine1.busy - machine0.busy;
    return {
      benchMs,
      benchSystemMs: bench.system / 1000,
      serverMs,
      serverSystemMs: server1.system - server0.system,
      postgresMs,
      stubMs,
      otherMs: Math.max(0, machineBusyMs - benchMs - serverMs - stubMs - postgresMs),
      machineBusyMs,
      machineBusyShare: total > 0 ? machineBusyMs / total : 0,
      machineMs: total,
    };
  };
}

/** Per-unit CPU cost, for the details printed under each bench. */
export function describeCpu(cpu: CpuBreakdown, units: number, unitName: string, benchName = 'load generator'): string {
  const per = (ms: number) => `${((ms * 1000) / units).toFixed(0)} µs`;
  const parts = [`${benchName} ${per(cpu.benchMs)} (${per(cpu.benchSystemMs)} kernel)`];
  if (cpu.serverMs > 0) parts.push(`server ${per(cpu.serverMs)} (${per(cpu.serverSystemMs)} kernel)`);
  if (cpu.stubMs > 0) parts.push(`Stripe stub ${per(cpu.stubMs)}`);
  parts.push(`postgres ${per(cpu.postgresMs)}`);
  parts.push(`anything else ${per(cpu.otherMs)}`);
  const others = foreignShare(cpu);
  return (
    `CPU per ${unitName}: ${parts.join(', ')}; machine ${(cpu.machineBusyShare * 100).toFixed(0)}% busy, ` +
    `${others.toFixed(0)}% of it used by other processes${others > 10 ? ' (CONTENDED: figures understate this machine)' : ''}`
  );
}

/** Samples a process's RSS every interval until stopped; reports the peak. */
export function sampleRss(pid: number, intervalMs = 100): () => { peakMb: number; lastMb: number } {
  let peakMb = statusMb(pid, 'VmRSS') ?? 0;
  let lastMb = peakMb;
  const timer = setInterval(() => {
    const now = statusMb(pid, 'VmRSS');
    if (now === undefined) return;
    lastMb = now;
    peakMb = Math.max(peakMb, now);
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    const now = statusMb(pid, 'VmRSS');
    if (now !== undefined) {
      lastMb = now;
      peakMb = Math.max(peakMb, now);
    }
    return { peakMb, lastMb };
  };
}

/** Share (0–100) of the machine's CPU other processes used during a phase. */
export function foreignShare(cpu: CpuBreakdown): number {
  return cpu.machineMs > 0 ? (cpu.otherMs / cpu.machineMs) * 100 : 0;
}
