import type { Hono } from 'hono';
import type { Broker } from '../../shared/broker-port.ts';
import type { ConsumerConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { topicSpecs, topicsFor } from '../../shared/topics.ts';
import type { DatabaseHandle } from '../../db/client.ts';
import { copyCarts } from '../../db/copy-carts.ts';
import { nonDurableSettings } from '../../db/durability.ts';
import type { InsertResult } from '../../db/insert-carts.ts';
import { insertEvents } from '../../db/insert-events.ts';
import { type ConsumerMetrics, createConsumerMetrics, secondsSince } from '../lib/metrics.ts';
import { createApp } from './app.ts';
import { ensureTopicsEventually } from '../lib/ensure-topics.ts';
import { createBatchHandler, createLandingHandler } from './batch-handler.ts';
import { toDeadLetterMessage } from './dead-letter.ts';
import { decodeTracked } from './decode-tracked.ts';

export interface ConsumerService {
  readonly app: Hono;
  readonly metrics: ConsumerMetrics;
  /** The tracked-events consumer's ledger (`clickstream_events_*`), in the same registry. */
  readonly trackedMetrics: ConsumerMetrics;
  /** Settles when the consumer stops. */
  readonly done: Promise<void>;
  /** Finishes and commits the current batch, leaves the group, closes connections. */
  stop(): Promise<void>;
}

/** Wires broker, database and batch handler together; runtime-neutral, shared by the Node and Deno entries. */
export async function startConsumerService(deps: {
  readonly broker: Broker;
  readonly database: DatabaseHandle;
  readonly config: ConsumerConfig;
  readonly logger: Logger;
  /** The entry's own registry (say, with process metrics); a fresh one otherwise. */
  readonly metrics?: ConsumerMetrics;
}): Promise<ConsumerService> {
  const { broker, database, config, logger } = deps;
  const metrics = deps.metrics ?? createConsumerMetrics();
  const trackedMetrics = createConsumerMetrics({
    registry: metrics.registry,
    prefix: 'clickstream_events',
    what: 'the tracked-events topic',
    table: 'events',
  });
  const topics = topicsFor(config.kafka.topic);
  nonDurableSettings(database.db).then(
    (settings) => {
      if (settings.length === 0) return;
      logger.warn(
        { settings },
        'Postgres may lose committed rows in a crash after the consumer has committed their offsets: keep fsync and synchronous_commit on',
      );
    },
    // Unreachable now: the first batch waits out the outage and reports it.
    () => {},
  );
  await ensureTopicsEventually(broker, topicSpecs(config.kafka), logger);
  const deadLetterProducer = await broker.createProducer();
  const consumer = await broker.createConsumer({
    groupId: config.groupId,
    topics: [topics.events],
    maxBatchSize: config.maxBatchSize,
    fetchWaitMs: config.fetchWaitMs,
    commitIntervalMs: config.commitIntervalMs,
    onLag: ({ partition, lag }) => metrics.lag.set({ partition: String(partition) }, lag),
  });
  // The browser tracker's events, in a group of their own: a burst of page views never holds up a cart.
  const trackedConsumer = await broker.createConsumer({
    groupId: `${config.groupId}.events`,
    topics: [topics.tracked],
    maxBatchSize: config.maxBatchSize,
    fetchWaitMs: config.fetchWaitMs,
    commitIntervalMs: config.commitIntervalMs,
    onLag: ({ partition, lag }) => trackedMetrics.lag.set({ partition: String(partition) }, lag),
  });

  // Each topic's handler reports to its own ledger and outage flag; readiness reads both flags.
  const outages = { carts: undefined as string | undefined, tracked: undefined as string | undefined };
  const hooks = (ledger: ConsumerMetrics, which: keyof typeof outages, label: string) => ({
    logger,
    onOutage: (down: boolean, error?: Error) => {
      outages[which] = down ? (error?.message ?? 'unavailable') : undefined;
      ledger.outage.set(down ? 1 : 0);
      logger[down ? 'warn' : 'info']({ err: error?.message }, down ? `${label}outage: pausing commits` : `${label}recovered`);
    },
    onLanded: ({ consumed, inserted, duplicates, deadLettered }: { consumed: number; inserted: number; duplicates: number; deadLettered: number }) => {
      ledger.consumed.inc(consumed);
      ledger.inserted.inc(inserted);
      ledger.duplicatesSkipped.inc(duplicates);
      ledger.deadLettered.inc(deadLettered);
    },
  });
  /** Times each non-empty insert into the ledger's histogram. */
  const timed =
    <Row>(ledger: ConsumerMetrics, insert: (rows: readonly Row[]) => Promise<InsertResult>) =>
    async (rows: readonly Row[]) => {
      const started = performance.now();
      const result = await insert(rows);
      if (rows.length > 0) ledger.insertSeconds.observe(secondsSince(started));
      return result;
    };

  const handler = createBatchHandler({
    insertCarts: timed(metrics, (rows) => copyCarts(database.db, database.copier, rows)),
    deadLetter: (letters) => deadLetterProducer.produce(topics.deadLetter, letters.map(toDeadLetterMessage)),
    parallelInserts: config.parallelInserts,
    ...hooks(metrics, 'carts', ''),
  });
  const trackedHandler = createLandingHandler({
    decode: decodeTracked,
    insert: timed(trackedMetrics, (rows) => insertEvents(database.db, rows)),
    deadLetter: (letters) => deadLetterProducer.produce(topics.trackedDeadLetter, letters.map(toDeadLetterMessage)),
    ...hooks(trackedMetrics, 'tracked', 'tracked events '),
  });

  const app = createApp({
    logger,
    metrics,
    checks: {
      broker: async () => {
        const [carts, tracked] = await Promise.all([consumer.health(), trackedConsumer.health()]);
        if (!carts.ok) return carts;
        return tracked.ok ? carts : { ok: false, detail: `tracked events: ${tracked.detail ?? 'unavailable'}` };
      },
      database: async () => {
        if (outages.carts) return { ok: false, detail: outages.carts };
        if (outages.tracked) return { ok: false, detail: `tracked events: ${outages.tracked}` };
        await database.ping();
        return { ok: true };
      },
    },
  });

  const cartsDone = consumer.run((batch, context) => {
    metrics.batchSize.observe(batch.length);
    return handler(batch, context);
  });
  const trackedDone = trackedConsumer.run((batch, context) => {
    trackedMetrics.batchSize.observe(batch.length);
    return trackedHandler(batch, context);
  });
  const done = Promise.all([cartsDone, trackedDone]).then(() => undefined);
  logger.info({ group: config.groupId, topics: [topics.events, topics.tracked] }, 'consumer running');
  return {
    app,
    metrics,
    trackedMetrics,
    done,
    async stop() {
      await Promise.all([consumer.close(), trackedConsumer.close()]);
      await deadLetterProducer.close();
      await database.close();
    },
  };
}
