import type { EventEmitter } from 'node:events';

export interface StopSignalOptions {
  /** Runs once, on the first SIGINT or SIGTERM. */
  readonly stop: (signal: NodeJS.Signals) => void;
  /** Runs on a signal that comes more than `echoMs` after the first: the user asks again. */
  readonly leaveNow: (signal: NodeJS.Signals) => void;
  readonly echoMs?: number;
  readonly emitter?: EventEmitter;
  readonly now?: () => number;
}

/**
 * One Ctrl-C reaches a script several times within milliseconds: the terminal signals the whole
 * process group, npm forwards the signal to its script, and tsx relays it to its child. Those echoes
 * must not count as the second Ctrl-C that means "leave now", or an orderly stop is cut short.
 */
export function onStopSignals(options: StopSignalOptions): void {
  const { stop, leaveNow, echoMs = 1000, emitter = process, now = Date.now } = options;
  let first: number | undefined;
  const handle = (signal: NodeJS.Signals) => {
    if (first === undefined) {
      first = now();
      stop(signal);
    } else if (now() - first > echoMs) {
      leaveNow(signal);
    }
  };
  emitter.on('SIGINT', handle);
  emitter.on('SIGTERM', handle);
}
