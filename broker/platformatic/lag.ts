import type { Consumer } from '@platformatic/kafka';
import type { PartitionLag } from '../../shared/broker-port.ts';

export interface LagReporter {
  /** Tells onLag how far `nextOffset` trails the partition's end; `seenEnd` is the offset after the last message seen. */
  report(topic: string, partition: number, nextOffset: bigint, seenEnd: bigint): void;
}

/**
 * The stream does not surface the fetch's high watermark, so the partitions' ends come from a
 * ListOffsets request, at most once per `refreshMs` and never awaited: a metric, not a brake.
 */
export function createLagReporter(
  consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
  topics: readonly string[],
  onLag: ((lag: PartitionLag) => void) | undefined,
  refreshMs = 1000,
): LagReporter {
  const ends = new Map<string, bigint>();
  let lastRefresh = 0;
  let refreshing = false;

  function refresh(): void {
    if (refreshing || Date.now() - lastRefresh < refreshMs) return;
    refreshing = true;
    lastRefresh = Date.now();
    consumer
      .listOffsets({ topics: [...topics] })
      .then(
        (offsets) => {
          for (const [topic, partitions] of offsets) partitions.forEach((end, partition) => ends.set(`${topic}:${partition}`, end));
        },
        () => {},
      )
      .finally(() => (refreshing = false));
  }

  return {
    report(topic, partition, nextOffset, seenEnd) {
      if (!onLag) return;
      refresh();
      const known = ends.get(`${topic}:${partition}`) ?? seenEnd;
      const end = known > seenEnd ? known : seenEnd;
      onLag({ topic, partition, lag: Math.max(0, Number(end - nextOffset)) });
    },
  };
}
