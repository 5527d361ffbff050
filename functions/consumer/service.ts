import type { Hono } from 'hono';
import type { Broker } from '../../shared/broker-port.ts';
import type { ConsumerConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { topicSpecs, topicsFor } from '../../shared/topics.ts';
import type { DatabaseHandle } from '../../db/client.ts';
import { insertCarts } from '../../db/insert-carts.ts';
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
  await ensureTopicsEventually(broker, topicSpecs(config.kafka), logger);
  const deadLetterProducer = await broker.createProducer();
  const consumer = await broker.createConsumer({
    groupId: config.groupId,
    topics: [topics.events],
    maxBatchSize: config.maxBatchSize,
    onLag: ({ partition, lag }) => metrics.lag.set({ partition: String(partition) }, lag),
  });
  // The browser tracker's events, in a group of their own: a burst of page views never holds up a cart.
  const trackedConsumer = await broker.createConsumer({
    groupId: `${config.groupId}.events`,
    topics: [topics.tracked],
    maxBatchSize: config.maxBatchSize,
    onLag: ({ partition, lag }) => trackedMetrics.lag.set({ partition: String(partition) }, lag),
  });

  let cartsOutage: string | undefined;
  let trackedOutage: string | undefined;
  const handler = createBatchHandler({
    insertCarts: async (rows) => {
      const started = performance.now();
      const result = await insertCarts(database.db, rows);
      if (rows.length > 0) metrics.insertSeconds.observe(secondsSince(started));
      return result;
    },
    deadLetter: (letters) => deadLetterProducer.produce(topics.deadLetter, letters.map(toDeadLetterMessage)),
    parallelInserts: config.parallelInserts,
    logger,
    onOutage: (down, error) => {
      cartsOutage = down ? (error?.message ?? 'unavailable') : undefined;
      metrics.outage.set(down ? 1 : 0);
      logger[down ? 'warn' : 'info']({ err: error?.message }, down ? 'outage: pausing commits' : 'recovered');
    },
    onLanded: ({ consumed, inserted, duplicates, deadLettered }) => {
      metrics.consumed.inc(consumed);
      metrics.inserted.inc(inserted);
      metrics.duplicatesSkipped.inc(duplicates);
      metrics.deadLettered.inc(deadLettered);
    },
  });

  const trackedHandler = createLandingHandler({
    decode: decodeTracked,
    insert: async (rows) => {
      const started = performance.now();
      const result = await insertEvents(database.db, rows);
      if (rows.length > 0) trackedMetrics.insertSeconds.observe(secondsSince(started));
      return result;
    },
    deadLetter: (letters) => deadLetterProducer.produce(topics.trackedDeadLetter, letters.map(toDeadLetterMessage)),
    logger,
    onOutage: (down, error) => {
      trackedOutage = down ? (error?.message ?? 'unavailable') : undefined;
      trackedMetrics.outage.set(down ? 1 : 0);
      logger[down ? 'warn' : 'info']({ err: error?.message }, down ? 'tracked events outage: pausing commits' : 'tracked events recovered');
    },
    onLanded: ({ consumed, inserted, duplicates, deadLettered }) => {
      trackedMetrics.consumed.inc(consumed);
      trackedMetrics.inserted.inc(inserted);
      trackedMetrics.duplicatesSkipped.inc(duplicates);
      trackedMetrics.deadLettered.inc(deadLettered);
    },
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
        if (cartsOutage) return { ok: false, detail: cartsOutage };
        if (trackedOutage) return { ok: false, detail: `tracked events: ${trackedOutage}` };
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
