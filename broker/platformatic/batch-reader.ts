import type { Readable } from 'node:stream';

export interface BatchReader<T> {
  /**
   * Resolves with 1 to `max` items: as many as are buffered, waiting up to `lingerMs` after the
   * first for more. Resolves empty when the stream ended or `signal` aborted; rejects with the
   * stream's error.
   */
  next(max: number, signal: AbortSignal): Promise<T[]>;
}

/** Reads batches from an object-mode stream in paused mode, so the stream fetches only as fast as we read. */
export function readBatches<T>(stream: Readable, lingerMs: number): BatchReader<T> {
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  stream.on('readable', poke);
  stream.once('end', () => {
    ended = true;
    poke();
  });
  stream.once('close', () => {
    ended = true;
    poke();
  });
  stream.once('error', (error: Error) => {
    failure = error;
    poke();
  });

  /** Resolves on the next stream event, after `ms` (when given), or when `signal` aborts. */
  function nextEvent(ms: number | undefined, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (wake === done) wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  return {
    async next(max, signal) {
      const batch: T[] = [];
      let lingerUntil: number | undefined;
      for (;;) {
        if (failure) throw failure;
        while (batch.length < max) {
          const item = stream.read() as T | null;
          if (item === null) break;
          batch.push(item);
        }
        if (batch.length >= max || ended || signal.aborted) return batch;
        if (batch.length > 0) {
          lingerUntil ??= Date.now() + lingerMs;
          const left = lingerUntil - Date.now();
          if (left <= 0) return batch;
          await nextEvent(left, signal);
        } else {
          await nextEvent(undefined, signal);
        }
      }
    },
  };
}
