import type { CpuUse } from './rss.ts';

/** One timed run of a reference (COPY, the floor): its rate over `seconds`, the rows it stored, cores busy meanwhile. */
export interface TimedRun {
  readonly rowsPerSec: number;
  readonly rows: number;
  readonly seconds: number;
  readonly cpu: CpuUse;
}

/**
 * Two runs of a reference, one before and one after the run it is compared with, as one: the rate
 * over both, and the cores each process kept busy weighted by each run's seconds. This machine's
 * speed drifted by half within a minute (bench/README.md), so a reference timed only before or only
 * after the consumer could catch a different machine than the consumer did.
 */
export function mergeBracket<R extends TimedRun>(before: R, after: R): { rows: number; seconds: number; rowsPerSec: number; cpu: CpuUse } {
  const rows = before.rows + after.rows;
  const seconds = before.seconds + after.seconds;
  const cpu: CpuUse = {};
  for (const name of new Set([...Object.keys(before.cpu), ...Object.keys(after.cpu)])) {
    const weighted = (before.cpu[name] ?? 0) * before.seconds + (after.cpu[name] ?? 0) * after.seconds;
    cpu[name] = seconds > 0 ? Math.round((weighted / seconds) * 100) / 100 : 0;
  }
  // From the rates, not the rows: a drain's rate leaves out the rows its first poll saw (drain.ts).
  const timedRows = before.rowsPerSec * before.seconds + after.rowsPerSec * after.seconds;
  return { rows, seconds, rowsPerSec: seconds > 0 ? Math.round(timedRows / seconds) : 0, cpu };
}

/** A per-row figure (CPU per row) over both runs, weighted by their rows; undefined if either lacks it. */
export function rowsWeighted<R extends TimedRun>(before: R, after: R, pick: (run: R) => number | undefined): number | undefined {
  const a = pick(before);
  const b = pick(after);
  if (a === undefined || b === undefined || before.rows + after.rows === 0) return undefined;
  return Math.round(((a * before.rows + b * after.rows) / (before.rows + after.rows)) * 1000) / 1000;
}
