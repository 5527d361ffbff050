/**
 * Gathers produce calls into requests, one request in flight at a time, as librdkafka does with
 * linger.ms and an idempotent producer: calls made within `lingerMs`, or while the previous request
 * is in flight, travel together. One at a time is not only about throughput: @platformatic/kafka
 * numbers an idempotent producer's batches when it builds them and advances the numbers only on
 * success, so two concurrent sends get the same sequence number and the broker refuses the second
 * (OUT_OF_ORDER_SEQUENCE_NUMBER). Every call settles with its request's outcome.
 */
export interface Linger<T> {
  add(items: readonly T[]): Promise<void>;
  /** Sends what is waiting and resolves when nothing is waiting or in flight. */
  drain(): Promise<void>;
}

interface Gathering<T> {
  readonly items: T[];
  readonly startedAt: number;
  readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[];
  /** Sealed gatherings take no more items and go out as soon as nothing is in flight. */
  sealed: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export function createLinger<T>(options: {
  readonly lingerMs: number;
  /** A gathering is sealed once it holds this many items. */
  readonly maxItems: number;
  /** Sends the items; `startedAt` is when the oldest of them was added (Date.now()). */
  readonly flush: (items: T[], startedAt: number) => Promise<void>;
}): Linger<T> {
  const queue: Gathering<T>[] = [];
  let sending = false;
  const idle: (() => void)[] = [];

  function seal(gathering: Gathering<T>): void {
    if (gathering.sealed) return;
    gathering.sealed = true;
    clearTimeout(gathering.timer);
    pump();
  }

  function pump(): void {
    if (sending) return;
    const next = queue[0];
    if (!next?.sealed) {
      if (queue.length === 0) for (const resolve of idle.splice(0)) resolve();
      return;
    }
    queue.shift();
    sending = true;
    options
      .flush(next.items, next.startedAt)
      .then(
        () => next.waiters.forEach((w) => w.resolve()),
        (error: unknown) => next.waiters.forEach((w) => w.reject(error)),
      )
      .finally(() => {
        sending = false;
        // What gathered meanwhile goes out at once: its wait was the request in flight.
        if (queue[0] && !queue[0].sealed) seal(queue[0]);
        else pump();
      });
  }

  function openGathering(incoming: number): Gathering<T> {
    const last = queue.at(-1);
    if (last && !last.sealed && last.items.length + incoming <= options.maxItems) return last;
    if (last) seal(last);
    const gathering: Gathering<T> = { items: [], startedAt: Date.now(), waiters: [], sealed: false, timer: undefined };
    gathering.timer = setTimeout(() => seal(gathering), options.lingerMs);
    queue.push(gathering);
    return gathering;
  }

  return {
    add(items) {
      if (items.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const gathering = openGathering(items.length);
        gathering.items.push(...items);
        gathering.waiters.push({ resolve, reject });
        if (gathering.items.length >= options.maxItems) seal(gathering);
      });
    },
    drain() {
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        for (const gathering of queue) seal(gathering);
        pump();
      });
    },
  };
}
