import { Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import type { BatchHandler, BrokerConsumer, ConsumerOptions, IncomingMessage } from '../../shared/broker-port.ts';
import { CONSUMER_FETCH_MAX_BYTES, DEFAULT_CONSUMER_FETCH_WAIT_MS, type KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { readBatches } from './batch-reader.ts';
import { closeForcefully, connectionOptions } from './client.ts';
import { describeKafkaError } from './errors.ts';
import { createHealthProbe } from './health.ts';
import { createLagReporter } from './lag.ts';
import { pause } from '../../shared/wait.ts';

/** How long close() lets a running batch finish before aborting its retries. */
const CLOSE_GRACE_MS = 8000;
/** How long close() waits, after aborting, for the handler to give up. */
const ABORT_GRACE_MS = 2000;
/** Longest fetch long-poll: bounds how quickly an idle stream notices close(). */
const FETCH_MAX_WAIT_MS = 500;

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;

function toIncoming(m: RawMessage): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of m.headers) headers[name.toString()] = value?.toString() ?? '';
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset.toString(),
    key: m.key === undefined || m.key === null ? null : m.key.toString(),
    value: m.value === undefined || m.value === null ? null : new Uint8Array(m.value.buffer, m.value.byteOffset, m.value.byteLength),
    headers,
  };
}

function generationOf(m: RawMessage): number | undefined {
  return (m.metadata as { consumer?: { generationId?: number } }).consumer?.generationId;
}

/**
 * A group member that hands batches to the handler and commits each partition's highest offset + 1
 * once the handler resolved. When the handler throws (or the stream fails), the stream is
 * recreated from the committed offsets, so the uncommitted messages are delivered again.
 */
export async function createPlatformaticConsumer(
  config: KafkaConfig,
  options: ConsumerOptions,
  logger: Logger,
): Promise<BrokerConsumer> {
  const consumer = new Consumer({
    ...connectionOptions(config),
    groupId: options.groupId,
    autocommit: false,
    // A killed consumer's partitions move to the survivors after this long.
    sessionTimeout: 10_000,
    rebalanceTimeout: 20_000,
    heartbeatInterval: 2_000,
    maxWaitTime: FETCH_MAX_WAIT_MS,
    // The client's default 10 MB fetches of a backlog, ~45,000 small messages each, took the
    // consumer past its 128 MB heap (npm run consume) and it died of OOM (npm run bench, 1M events).
    maxBytes: CONSUMER_FETCH_MAX_BYTES,
    highWaterMark: Math.max(16, options.maxBatchSize),
  });
  // Without a listener an 'error' event (a failed rejoin) would crash the process.
  consumer.on('error', (error: Error) => logger.warn({ err: describeKafkaError(error), kafka: true }, 'consumer group error'));
  consumer.on('consumer:heartbeat:error', ({ error }) =>
    logger.warn({ err: describeKafkaError(error), kafka: true }, 'consumer heartbeat failed'),
  );
  const health = createHealthProbe(config);
  const lag = createLagReporter(consumer, options.topics, options.onLag);

  /** Aborted when close() starts: no new batch is taken. */
  const closing = new AbortController();
  /** Aborted when the grace period ran out: the running handler should give up. */
  const stopping = new AbortController();
  let running: Promise<void> | undefined;
  let closed: Promise<void> | undefined;

  async function land(batch: RawMessage[], handler: BatchHandler): Promise<void> {
    const partitions = new Map<string, { topic: string; partition: number; first: bigint; next: bigint; generation?: number }>();
    for (const m of batch) {
      const key = `${m.topic}:${m.partition}`;
      const known = partitions.get(key);
      if (!known) partitions.set(key, { topic: m.topic, partition: m.partition, first: m.offset, next: m.offset + 1n, generation: generationOf(m) });
      else if (m.offset + 1n > known.next) known.next = m.offset + 1n;
    }
    for (const p of partitions.values()) lag.report(p.topic, p.partition, p.first, p.next);

    await handler(batch.map(toIncoming), { signal: stopping.signal });

    // After a rebalance the partitions may belong to another member, which starts from the committed
    // offsets; like librdkafka, we leave them to it rather than commit for a partition we may not own.
    const current = [...partitions.values()].filter((p) => p.generation === consumer.generationId);
    if (current.length === 0) return;
    await consumer.commit({
      offsets: current.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.next, leaderEpoch: -1 })),
    });
    for (const p of current) lag.report(p.topic, p.partition, p.next, p.next);
  }

  async function consumeUntilClosed(handler: BatchHandler): Promise<void> {
    for (let failures = 0; !closing.signal.aborted; ) {
      let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
      try {
        stream = await consumer.consume({
          topics: [...options.topics],
          mode: 'committed',
          fallbackMode: 'earliest',
          autocommit: false,
        });
        const reader = readBatches<RawMessage>(stream, options.fetchWaitMs ?? DEFAULT_CONSUMER_FETCH_WAIT_MS);
        for (;;) {
          const batch = await reader.next(options.maxBatchSize, closing.signal);
          if (batch.length === 0) break;
          await land(batch, handler);
          failures = 0;
        }
        if (!closing.signal.aborted) throw new Error('message stream ended');
      } catch (error) {
        if (closing.signal.aborted) break;
        failures++;
        const delayMs = Math.min(5000, 100 * 2 ** failures);
        logger.warn(
          { err: describeKafkaError(error), failures, delayMs },
          'batch not landed or stream failed; consuming again from the committed offsets',
        );
        await pause(delayMs, closing.signal);
      } finally {
        await stream?.close().catch(() => {});
      }
    }
  }

  return {
    run(handler) {
      running ??= consumeUntilClosed(handler);
      return running;
    },
    health: () => health.probe(),
    close() {
      closed ??= (async () => {
        closing.abort();
        const settled = running?.catch(() => {}) ?? Promise.resolve();
        await Promise.race([settled, pause(CLOSE_GRACE_MS)]);
        stopping.abort(new Error('consumer closing'));
        await Promise.race([settled, pause(ABORT_GRACE_MS)]);
        // Closing with force closes any stream still open, then leaves the group.
        await closeForcefully(consumer).catch((error: unknown) =>
          logger.warn({ err: describeKafkaError(error) }, 'leaving the consumer group failed'),
        );
        await health.close();
      })();
      return closed;
    },
  };
}
