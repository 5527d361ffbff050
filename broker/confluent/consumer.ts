import type {
  BatchHandler,
  BrokerConsumer,
  BrokerHealth,
  ConsumerOptions,
  IncomingMessage,
} from '../../shared/broker-port.ts';
import type { KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { connectionConfig, KafkaJS } from './client.ts';
import { probeBroker } from './health.ts';

/** How long close() lets a running batch finish before aborting its retries. */
const CLOSE_GRACE_MS = 8000;

interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

function toIncoming(topic: string, partition: number, m: RawMessage): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(m.headers ?? {})) {
    if (raw !== undefined) headers[name] = (Array.isArray(raw) ? raw.at(-1)! : raw).toString();
  }
  return { topic, partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value, headers };
}

export async function createConfluentConsumer(
  config: KafkaConfig,
  options: ConsumerOptions,
  logger: Logger,
): Promise<BrokerConsumer> {
  const kafka = new KafkaJS.Kafka({ kafkaJS: connectionConfig(config, logger) });
  const consumer = kafka.consumer({
    kafkaJS: { groupId: options.groupId, fromBeginning: true, autoCommit: false },
    'js.consumer.max.batch.size': options.maxBatchSize,
    // A killed consumer's partitions move to the survivors after this long.
    'session.timeout.ms': 10_000,
    'heartbeat.interval.ms': 2_000,
    // librdkafka prefetches up to 64 MB by default; a few batches ahead is all a sink needs, and the
    // defaults drove the consumer to 550-950 MB of RSS while draining a backlog (measured by npm run bench).
    // 2 MB queued and 1 MB fetches instead of 4 and 2: 255 → 202 MB, at the same rows/s.
    'queued.max.messages.kbytes': 2048,
    'queued.min.messages': 5000,
    'fetch.max.bytes': 1024 * 1024,
    'js.consumer.max.cache.size.per.worker.ms': 500,
    // With the caps above, librdkafka's default 1 s pause before fetching again for a full queue
    // left the consumer idle between partitions: 23.8k → 26.9k rows/s when draining a backlog.
    'fetch.queue.backoff.ms': 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...options.topics] });
  const admin = kafka.admin();
  await admin.connect();

  /** Lag = high watermark - the next offset to commit; the client says -1001 when it has no watermark yet. */
  const reportLag = (topic: string, partition: number, highWatermark: string, nextOffset: string) => {
    if (!options.onLag || !/^\d+$/.test(highWatermark)) return;
    const lag = Number(BigInt(highWatermark) - BigInt(nextOffset));
    options.onLag({ topic, partition, lag: Math.max(0, lag) });
  };

  const stopping = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  let stopped: () => void = () => {};

  return {
    async run(handler: BatchHandler) {
      const done = new Promise<void>((resolve) => (stopped = resolve));
      await consumer.run({
        partitionsConsumedConcurrently: 2,
        eachBatch: async ({ batch, isStale }) => {
          const messages = batch.messages.map((m: RawMessage) => toIncoming(batch.topic, batch.partition, m));
          reportLag(batch.topic, batch.partition, batch.highWatermark, batch.messages[0]!.offset);
          const work = handler(messages, { signal: stopping.signal });
          inFlight.add(work);
          try {
            await work;
          } finally {
            inFlight.delete(work);
          }
          // After a rebalance another member owns the partition and will redeliver; committing would be refused.
          if (isStale()) return;
          const next = (BigInt(batch.messages.at(-1)!.offset) + 1n).toString();
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
          reportLag(batch.topic, batch.partition, batch.highWatermark, next);
        },
      });
      return done;
    },
    health: (): Promise<BrokerHealth> => probeBroker(admin),
    async close() {
      const grace = new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
      stopping.abort(new Error('consumer closing'));
      await admin.disconnect().catch(() => {});
      await consumer.disconnect();
      stopped();
    },
  };
}
