export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Where stop signals come from: Node's `process`, or Deno.addSignalListener wrapped alike (scripts/deno-dev.ts). */
export interface SignalSource {
  on(signal: StopSignal, handler: (signal: StopSignal) => void): unknown;
}

export interface StopSignalOptions {
  /** Runs once, on the first SIGINT or SIGTERM. */
  readonly stop: (signal: StopSignal) => void;
  /** Runs on a signal that comes more than `echoMs` after the first: the user asks again. */
  readonly leaveNow: (signal: StopSignal) => void;
  readonly echoMs?: number;
  /** Node's `process` when not given. */
  readonly signals?: SignalSource;
  readonly now?: () => number;
}

/**
 * One Ctrl-C reaches a script several times within milliseconds: the terminal signals the whole
 * process group, npm forwards the signal to its script, and tsx (or `deno task`) relays it to its
 * child. Those echoes must not count as the second Ctrl-C that means "leave now", or an orderly
 * stop is cut short.
 */
export function onStopSignals(options: StopSignalOptions): void {
  const { stop, leaveNow, echoMs = 1000, now = Date.now } = options;
  const signals = options.signals ?? (process as SignalSource);
  let first: number | undefined;
  const handle = (signal: StopSignal) => {
    if (first === undefined) {
      first = now();
      stop(signal);
    } else if (now() - first > echoMs) {
      leaveNow(signal);
    }
  };
  signals.on('SIGINT', handle);
  signals.on('SIGTERM', handle);
}
