/**
 * Progress on stderr: one rewritten status line on a terminal, a line every few seconds otherwise
 * (CI logs), so long steps never look hung and logs stay short.
 */
const tty = Boolean(process.stderr.isTTY);
const started = Date.now();

const stamp = (): string => `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s]`;

/** A finished step or a fact worth keeping in the log. */
export function say(message: string): void {
  if (tty) process.stderr.write('\r\x1b[K');
  process.stderr.write(`${stamp()} ${message}\n`);
}

export interface Status {
  /** The current state of a long step; throttled off a terminal. */
  update(message: string): void;
  /** Ends the step with a line that stays. */
  done(message: string): void;
}

export function status(label: string, everyMs = 3000): Status {
  let last = 0;
  return {
    update(message) {
      const now = Date.now();
      if (tty) {
        if (now - last < 100) return;
        last = now;
        process.stderr.write(`\r\x1b[K${stamp()} ${label}: ${message}`);
      } else if (now - last >= everyMs) {
        last = now;
        process.stderr.write(`${stamp()} ${label}: ${message}\n`);
      }
    },
    done(message) {
      say(`${label}: ${message}`);
    },
  };
}

/** "12,345" */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
