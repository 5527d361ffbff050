interface Pending {
  readonly at: number;
  readonly reject: (error: Error) => void;
  readonly onTimeout: () => Error;
  settled: boolean;
}

/**
 * Deadlines of one fixed length on a single timer. A timer per request (setTimeout, clearTimeout and
 * a Promise.race) cost the collector 5 µs of CPU per cart. With one length for all, deadlines expire
 * in the order they were set: a queue, and one timer for the oldest unsettled entry, do. The timer
 * stays armed when the queue empties and simply finds nothing when it fires: clearing it there and
 * arming a new one for the next cart cost 8.7 µs per cart whenever carts came one at a time
 * (the collector with bench/collector-overhead.ts's in-memory producer, one run; bench/LEVERS.md).
 */
export class FixedDeadlines {
  readonly #ms: number;
  readonly #queue: Pending[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Settles as `work` does, or rejects with `onTimeout()` once the fixed time has passed. */
  race<T>(work: Promise<T>, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { at: performance.now() + this.#ms, reject, onTimeout, settled: false };
      this.#queue.push(pending);
      this.#timer ??= this.#arm(this.#ms);
      work.then(
        (value) => {
          if (pending.settled) return;
          pending.settled = true;
          this.#dropSettled();
          resolve(value);
        },
        (error: unknown) => {
          if (pending.settled) return;
          pending.settled = true;
          this.#dropSettled();
          reject(error);
        },
      );
    });
  }

  /** Entries settle mostly in the order they came, so the head moves on as they do. */
  #dropSettled(): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.settled) this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#head < this.#queue.length) {
      const pending = this.#queue[this.#head]!;
      if (!pending.settled && pending.at > now) break;
      if (!pending.settled) {
        pending.settled = true;
        pending.reject(pending.onTimeout());
      }
      this.#head++;
    }
    this.#dropSettled();
    if (this.#head < this.#queue.length) this.#timer = this.#arm(Math.max(0, this.#queue[this.#head]!.at - now));
  }

  /** A timer that does not keep a Node process alive on its own (Deno's timers are plain numbers). */
  #arm(ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.#expire(), ms);
    if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
    return timer;
  }
}
