import type { NodeChild } from './child.ts';
import { int, status } from './progress.ts';

export interface DrainResult {
  /** Rows per second from the first rows seen to the target count. */
  readonly rowsPerSec: number;
  readonly rows: number;
  /** Seconds from the first rows seen to the last. */
  readonly seconds: number;
  /** Seconds from the consumer's start to its first rows (group join, first fetch). */
  readonly startupSeconds: number;
  /** False when the time ran out first: the rate is then over what landed. */
  readonly complete: boolean;
}

/**
 * Polls `landed()` (rows so far) until it reaches `target` or `limitMs` runs out. The rate
 * counts from the first poll that saw rows, excluding those rows, to the poll that saw the
 * target: consumer start-up and the first batch's unknown start do not count.
 */
export async function timeDrain(options: {
  label: string;
  target: number;
  landed: () => Promise<number>;
  limitMs: number;
  everyMs?: number;
  /** The draining process: if it dies, polling stops and the drain fails with its output. */
  drainer: Pick<NodeChild, 'name' | 'running' | 'output'>;
}): Promise<DrainResult> {
  const progress = status(options.label, 5000);
  const started = performance.now();
  const deadline = started + options.limitMs;
  let first: { at: number; rows: number } | undefined;
  let last = { at: started, rows: 0 };
  for (;;) {
    const at = performance.now();
    const rows = await options.landed();
    if (rows > 0 && !first) first = { at, rows };
    last = { at, rows };
    const rate = first && at > first.at ? (rows - first.rows) / ((at - first.at) / 1000) : 0;
    progress.update(`${int(rows)}/${int(options.target)} rows (${int(rate)}/s)`);
    if (!options.drainer.running()) {
      progress.done(`${int(rows)} rows when ${options.drainer.name} exited`);
      throw new Error(`${options.drainer.name} exited during the drain:\n${options.drainer.output().slice(-4000)}`);
    }
    if (rows >= options.target || at > deadline) break;
    await new Promise((r) => setTimeout(r, options.everyMs ?? 100));
  }
  const complete = last.rows >= options.target;
  const seconds = first ? (last.at - first.at) / 1000 : 0;
  const rowsPerSec = first && seconds > 0 ? Math.round((last.rows - first.rows) / seconds) : 0;
  progress.done(
    `${int(last.rows)} rows, ${int(rowsPerSec)} rows/s over ${seconds.toFixed(1)}s` +
      (first ? ` (first rows after ${((first.at - started) / 1000).toFixed(1)}s)` : '') +
      (complete ? '' : ' - TIME LIMIT reached, rate is over what landed'),
  );
  return {
    rowsPerSec,
    rows: last.rows,
    seconds,
    startupSeconds: first ? (first.at - started) / 1000 : 0,
    complete,
  };
}
