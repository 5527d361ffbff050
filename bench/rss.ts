import { readdirSync, readFileSync } from 'node:fs';

/**
 * Memory and CPU of processes, read from /proc (Linux). Peak RSS is the kernel's own high-water
 * mark (VmHWM), read periodically so that it survives the process being stopped.
 */

const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux architecture Node runs on

function statusField(pid: number, field: string): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident memory of a running process in MB (VmHWM), or undefined when it is gone. */
export const peakRssMB = (pid: number): number | undefined => statusField(pid, 'VmHWM');

export interface RssWatch {
  /** Largest VmHWM seen so far, in MB. */
  peak(): number;
  /** Reads once more (call before stopping the process) and stops sampling. */
  stop(): number;
}

export function watchRss(pid: number, everyMs = 250): RssWatch {
  let peak = 0;
  const sample = () => {
    const now = peakRssMB(pid);
    if (now !== undefined && now > peak) peak = now;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    peak: () => peak,
    stop() {
      sample();
      clearInterval(timer);
      return peak;
    },
  };
}

/** utime + stime of a process in seconds (of its main thread alone with `mainThread`); 0 when it is gone. */
export function cpuSecondsOf(pid: number, mainThread = false): number {
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may hold spaces): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** A process and its direct children (Postgres: the postmaster and its backends). */
function treeCpuSeconds(root: number): number {
  let total = cpuSecondsOf(root);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === root) total += cpuSecondsOf(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

export interface CpuTarget {
  readonly pid: number | undefined;
  /** Count the direct children too. */
  readonly tree?: boolean;
  /**
   * Count the process's main thread alone (Node's JavaScript thread), as a part of a process named
   * in another target: it is left out of `others`.
   */
  readonly mainThread?: boolean;
}

/**
 * Seconds a process's main thread has spent runnable but waiting for a core (the scheduler's run
 * delay, `/proc/<pid>/task/<pid>/schedstat`); undefined where the kernel does not keep it.
 */
export function runQueueSecondsOf(pid: number): number | undefined {
  try {
    const [, waitNs] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ');
    const seconds = Number(waitNs) / 1e9;
    return Number.isFinite(seconds) ? seconds : undefined;
  } catch {
    return undefined;
  }
}

/** Names the share of a main thread's time spent waiting for a core, beside its busy share. */
export const waitingName = (mainThread: string): string => `${mainThread} waiting for a core`;

/** CPU used during a step, in cores (1.0 = one core busy the whole time), per named process. */
export type CpuUse = Record<string, number>;

/** Busy CPU seconds of the whole machine, every process (others' included), from /proc/stat. */
function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS;
}

/** The machine's busy cores not in any named process: a main thread is part of its process, not counted again. */
export function othersShare(use: CpuUse, machine: number, targets: Record<string, CpuTarget>): number {
  const ours = Object.entries(use).reduce((sum, [name, cores]) => (targets[name]?.mainThread ? sum : sum + cores), 0);
  return round2(Math.max(0, machine - ours));
}

/**
 * Per named process (the bench process itself is added as `bench`), plus `machine`: every process
 * on the box, and `others`: machine minus the named ones, that is the neighbours' share (and any
 * process of ours not named). Sampled every 500 ms, so that a process that exits before stop()
 * (a tool run to completion) still counts up to its last sample.
 */
export function meterCpu(targets: Record<string, CpuTarget>): { stop(): CpuUse } {
  const all: Record<string, CpuTarget> = { bench: { pid: process.pid }, ...targets };
  const read = (t: CpuTarget) => (t.pid === undefined ? 0 : t.tree ? treeCpuSeconds(t.pid) : cpuSecondsOf(t.pid, t.mainThread));
  const start = Object.fromEntries(Object.entries(all).map(([name, t]) => [name, read(t)]));
  const last = { ...start };
  const sample = () => {
    for (const [name, t] of Object.entries(all)) last[name] = Math.max(last[name]!, read(t));
  };
  const timer = setInterval(sample, 500);
  timer.unref();
  // A main thread that is not busy is either idle or runnable with no core free: the second says the machine, not the work, held it back.
  const waitStart = new Map<string, number>();
  for (const [name, t] of Object.entries(all)) {
    const at = t.mainThread && t.pid !== undefined ? runQueueSecondsOf(t.pid) : undefined;
    if (at !== undefined) waitStart.set(name, at);
  }
  const machineStart = machineBusySeconds();
  const t0 = performance.now();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const seconds = (performance.now() - t0) / 1000;
      const use = Object.fromEntries(Object.keys(all).map((name) => [name, round2((last[name]! - start[name]!) / seconds)]));
      const machine = round2((machineBusySeconds() - machineStart) / seconds);
      const withWaits: CpuUse = {};
      for (const [name, cores] of Object.entries(use)) {
        withWaits[name] = cores;
        const from = waitStart.get(name);
        const to = from === undefined ? undefined : runQueueSecondsOf(all[name]!.pid!);
        if (to !== undefined) withWaits[waitingName(name)] = round2((to - from!) / seconds);
      }
      return { ...withWaits, machine, others: othersShare(use, machine, all) };
    },
  };
}

/** Load average and busy cores of the whole machine, to tell a quiet run from a noisy one. */
export function machineLoad(): { loadAvg1: number } {
  const [one] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return { loadAvg1: Number(one) };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
