import rdkafka from '@confluentinc/kafka-javascript';
import type {
  BatchHandler,
  BrokerConsumer,
  ConsumerOptions,
  IncomingMessage,
} from '../../shared/broker-port.ts';
import { CONSUMER_FETCH_MAX_BYTES, DEFAULT_CONSUMER_FETCH_WAIT_MS, type KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { librdkafkaConnection } from './client.ts';
import { toPortError } from './errors.ts';
import { probeMetadata } from './health.ts';
import { pause } from '../../shared/wait.ts';

/** How long close() lets a running batch finish before aborting its retries. */
const CLOSE_GRACE_MS = 8000;
/** How long close() waits, after aborting, for the handler to give up. */
const ABORT_GRACE_MS = 2000;
/** Longest wait for a batch's first message: bounds how quickly an idle consumer notices close(). */
const CONSUME_WAIT_MS = 200;

/** Methods lib/kafka-consumer.js has and its type declarations leave out. */
interface UndeclaredConsumerMethods {
  setDefaultIsTimeoutOnlyForFirstMessage(onlyForFirst: boolean): void;
  commitCb(offsets: rdkafka.TopicPartitionOffset[], callback: (error: rdkafka.LibrdKafkaError | null) => void): void;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function toIncoming(m: rdkafka.Message): IncomingMessage {
  let headers = NO_HEADERS;
  if (m.headers && m.headers.length > 0) {
    const named: Record<string, string> = {};
    // A header repeated under one name keeps its last value, as the other adapter does.
    for (const header of m.headers) for (const name in header) named[name] = header[name]!.toString();
    headers = named;
  }
  return {
    topic: m.topic,
    partition: m.partition,
    offset: String(m.offset),
    key: m.key === null || m.key === undefined ? null : m.key.toString(),
    value: m.value ?? null,
    headers,
  };
}

interface PartitionSpan {
  readonly topic: string;
  readonly partition: number;
  readonly first: number;
  next: number;
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Each partition's first offset in a batch and the offset after its last. */
function partitionsOf(batch: readonly rdkafka.Message[]): PartitionSpan[] {
  const partitions = new Map<string, PartitionSpan>();
  // Messages of one partition come in runs: a key is built only where a run starts.
  let span: PartitionSpan | undefined;
  for (const m of batch) {
    if (span === undefined || span.partition !== m.partition || span.topic !== m.topic) {
      const key = partitionKey(m.topic, m.partition);
      span = partitions.get(key);
      if (span === undefined) {
        span = { topic: m.topic, partition: m.partition, first: m.offset, next: m.offset + 1 };
        partitions.set(key, span);
      }
    }
    if (m.offset + 1 > span.next) span.next = m.offset + 1;
  }
  return [...partitions.values()];
}

/**
 * A group member on librdkafka's own consume(n) API rather than its KafkaJS-compatible layer, which
 * cost the consumer a third more CPU per message and handed over one partition's batch at a time
 * (bench/client-overhead.ts, npm run bench). A batch is what one consume(n) returns, from any
 * partitions; the next one is read while the handler lands it. Each partition's highest offset + 1
 * is committed once the handler resolved: at once, or with the batches landed after it when
 * options.commitIntervalMs asks for fewer commits, and when reading goes idle or the consumer closes.
 * When the handler throws, the partitions of the batch and of the one read ahead are sought back to
 * their first offsets there, so both are read again.
 */
export async function createConfluentConsumer(
  config: KafkaConfig,
  options: ConsumerOptions,
  logger: Logger,
): Promise<BrokerConsumer> {
  /** Bumped when partitions are revoked: a batch read before may hold partitions another member now owns. */
  let generation = 0;
  /**
   * Each partition's offset after its last landed message, not yet committed. Emptied when partitions
   * are revoked: another member may own them now and start from the committed offsets; committing
   * for it would be refused, and the redelivered rows are skipped as already stored.
   */
  const landed = new Map<string, { topic: string; partition: number; offset: number }>();
  const fetchWaitMs = options.fetchWaitMs ?? DEFAULT_CONSUMER_FETCH_WAIT_MS;
  const consumer = new rdkafka.KafkaConsumer(
    {
      ...librdkafkaConnection(config),
      'group.id': options.groupId,
      'enable.auto.commit': false,
      'socket.nagle.disable': true,
      // A killed consumer's partitions move to the survivors after this long.
      'session.timeout.ms': 10_000,
      'heartbeat.interval.ms': 2_000,
      // librdkafka prefetches up to 64 MB by default; a few batches ahead is all a sink needs, and the
      // defaults drove the consumer to 550-950 MB of RSS while draining a backlog (npm run bench).
      'queued.max.messages.kbytes': 2048,
      'queued.min.messages': 5000,
      'fetch.max.bytes': CONSUMER_FETCH_MAX_BYTES,
      // The broker answers a fetch once it holds a full one or has waited fetchWaitMs: at a trickle a
      // fetch, batch, COPY and commit every few milliseconds cost more than the carts (config.ts).
      // With 0 it answers as soon as it holds anything, and holds an empty fetch librdkafka's 500 ms.
      ...(fetchWaitMs > 0 ? { 'fetch.wait.max.ms': fetchWaitMs, 'fetch.min.bytes': CONSUMER_FETCH_MAX_BYTES } : {}),
      // With the caps above, librdkafka's default 1 s pause before fetching again for a full queue
      // left the consumer idle between batches: 23.8k → 26.9k rows/s when draining a backlog.
      'fetch.queue.backoff.ms': 20,
      rebalance_cb: true,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  consumer.on('rebalance', (event) => {
    if (event.code === rdkafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      generation++;
      landed.clear();
    }
  });
  consumer.on('event.error', (error) => logger.warn({ err: error.message, kafka: true }, 'consumer client error'));
  consumer.setDefaultConsumeTimeout(CONSUME_WAIT_MS);
  // Wait only for a batch's first message, then take what is already fetched: the fetch did the waiting.
  const undeclared = consumer as unknown as UndeclaredConsumerMethods;
  undeclared.setDefaultIsTimeoutOnlyForFirstMessage(true);
  try {
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 30_000 }, (error) => (error ? reject(error) : resolve())));
  } catch (error) {
    throw toPortError(error, 'connect the consumer');
  }
  consumer.subscribe([...options.topics]);

  const reportLag = (topic: string, partition: number, nextOffset: number) => {
    if (!options.onLag) return;
    let high: number;
    try {
      high = consumer.getWatermarkOffsets(topic, partition).highOffset;
    } catch {
      return; // no watermark known yet
    }
    if (high >= 0) options.onLag({ topic, partition, lag: Math.max(0, high - nextOffset) });
  };

  const read = () =>
    new Promise<{ messages: rdkafka.Message[]; generation: number }>((resolve, reject) => {
      const readIn = generation;
      consumer.consume(options.maxBatchSize, (error, messages) =>
        error ? reject(toPortError(error, 'consume')) : resolve({ messages, generation: readIn }),
      );
    });

  const seek = (topic: string, partition: number, offset: number) =>
    new Promise<void>((resolve, reject) =>
      consumer.seek({ topic, partition, offset }, 5000, (error) => (error ? reject(error) : resolve())),
    );

  const commit = (offsets: { topic: string; partition: number; offset: number }[]) =>
    new Promise<void>((resolve, reject) =>
      undeclared.commitCb(offsets, (error) => (error ? reject(toPortError(error, 'commit offsets')) : resolve())),
    );

  /** Aborted when close() starts: no new batch is taken. */
  const closing = new AbortController();
  /** Aborted when the grace period ran out: the running handler should give up. */
  const stopping = new AbortController();
  let running: Promise<void> | undefined;
  let closed: Promise<void> | undefined;

  const commitIntervalMs = options.commitIntervalMs ?? 0;
  let lastCommitAt = Number.NEGATIVE_INFINITY;

  /** Commits what has landed since the last commit, if anything; kept for the next try if it fails. */
  async function commitLanded(): Promise<void> {
    if (landed.size === 0) return;
    const offsets = [...landed.values()];
    lastCommitAt = performance.now();
    await commit(offsets);
    landed.clear();
    for (const o of offsets) reportLag(o.topic, o.partition, o.offset);
  }

  async function land(batch: rdkafka.Message[], partitions: PartitionSpan[], readIn: number, handler: BatchHandler): Promise<void> {
    for (const p of partitions) reportLag(p.topic, p.partition, p.first);
    await handler(batch.map(toIncoming), { signal: stopping.signal });
    // A batch read before partitions were revoked is not committed (see `landed`).
    if (readIn !== generation) return;
    for (const p of partitions) {
      const key = partitionKey(p.topic, p.partition);
      landed.set(key, { topic: p.topic, partition: p.partition, offset: Math.max(p.next, landed.get(key)?.offset ?? 0) });
    }
    if (performance.now() - lastCommitAt >= commitIntervalMs) await commitLanded();
  }

  /**
   * Sends each partition back to the given first offset: a failed batch and the one read ahead after
   * it are read again. A partition that moved to another member is read there, from its committed offset.
   */
  async function rewind(partitions: readonly PartitionSpan[]): Promise<void> {
    for (const p of partitions) {
      await seek(p.topic, p.partition, p.first).catch((error: Error) =>
        logger.warn({ err: error.message, partition: p.partition }, 'seek back failed'),
      );
    }
  }

  async function consumeUntilClosed(handler: BatchHandler): Promise<void> {
    let failures = 0;
    const backOff = async (what: string, error: unknown) => {
      failures++;
      const delayMs = Math.min(5000, 100 * 2 ** failures);
      logger.warn({ err: (error as Error).message, failures, delayMs }, what);
      await pause(delayMs, closing.signal);
    };
    let next = read();
    while (!closing.signal.aborted) {
      let batch: Awaited<ReturnType<typeof read>>;
      try {
        batch = await next;
      } catch (error) {
        await backOff('consume failed, retrying', error);
        next = read();
        continue;
      }
      if (batch.messages.length === 0) {
        next = read();
        // Nothing more to read for now: what has landed is committed without waiting for the interval.
        await commitLanded().catch((error: Error) => backOff('commit failed, retrying', error));
        continue;
      }
      // The client fetches and decodes the next batch while this one lands.
      next = read();
      const partitions = partitionsOf(batch.messages);
      try {
        await land(batch.messages, partitions, batch.generation, handler);
        failures = 0;
      } catch (error) {
        // The batch read ahead is dropped, and only then do the partitions go back, so that no read can
        // still return messages from before the seek. Its own partitions go back too: the failed
        // batch need not have held them all.
        const readAhead = await next.catch(() => undefined);
        if (closing.signal.aborted) break;
        // The failed batch comes first, so each partition's first offset is the earliest of the two.
        await rewind(partitionsOf([...batch.messages, ...(readAhead?.messages ?? [])]));
        await backOff('batch not landed; reading it again', error);
        next = read();
      }
    }
    // A batch read ahead but not landed stays uncommitted: the next member reads it again.
    await next.catch(() => {});
    await commitLanded().catch((error: Error) => logger.warn({ err: error.message }, 'commit at close failed'));
  }

  return {
    run(handler) {
      running ??= consumeUntilClosed(handler);
      return running;
    },
    health: () => probeMetadata(consumer),
    close() {
      closed ??= (async () => {
        closing.abort();
        const settled = running?.catch(() => {}) ?? Promise.resolve();
        await Promise.race([settled, pause(CLOSE_GRACE_MS)]);
        stopping.abort(new Error('consumer closing'));
        await Promise.race([settled, pause(ABORT_GRACE_MS)]);
        await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      })();
      return closed;
    },
  };
}
