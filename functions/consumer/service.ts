import type { Hono } from 'hono';
import type { Broker } from '../../shared/broker-port.ts';
import type { ConsumerConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { topicSpecs, topicsFor } from '../../shared/topics.ts';
import type { DatabaseHandle } from '../../db/client.ts';
import { insertCarts } from '../../db/insert-carts.ts';
import { type ConsumerMetrics, createConsumerMetrics, secondsSince } from '../lib/metrics.ts';
import { createApp } from './app.ts';
import { ensureTopicsEventually } from '../lib/ensure-topics.ts';
import { createBatchHandler } from './batch-handler.ts';
import { toDeadLetterMessage } from './dead-letter.ts';

export interface ConsumerService {
  readonly app: Hono;
  readonly metrics: ConsumerMetrics;
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
  const topics = topicsFor(config.kafka.topic);
  await ensureTopicsEventually(broker, topicSpecs(config.kafka), logger);
  const deadLetterProducer = await broker.createProducer();
  const consumer = await broker.createConsumer({
    groupId: config.groupId,
    topics: [topics.events],
    maxBatchSize: config.maxBatchSize,
    onLag: ({ partition, lag }) => metrics.lag.set({ partition: String(partition) }, lag),
  });

  let databaseOutage: string | undefined;
  const handler = createBatchHandler({
    insertCarts: async (rows) => {
      const started = performance.now();
      const result = await insertCarts(database.db, rows);
      if (rows.length > 0) metrics.insertSeconds.observe(secondsSince(started));
      return result;
    },
    deadLetter: (letters) => deadLetterProducer.produce(topics.deadLetter, letters.map(toDeadLetterMessage)),
    logger,
    onOutage: (down, error) => {
      databaseOutage = down ? (error?.message ?? 'unavailable') : undefined;
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

  const app = createApp({
    logger,
    metrics,
    checks: {
      broker: () => consumer.health(),
      database: async () => {
        if (databaseOutage) return { ok: false, detail: databaseOutage };
        await database.ping();
        return { ok: true };
      },
    },
  });

  const done = consumer.run((batch, context) => {
    metrics.batchSize.observe(batch.length);
    return handler(batch, context);
  });
  logger.info({ group: config.groupId, topic: topics.events }, 'consumer running');
  return {
    app,
    metrics,
    done,
    async stop() {
      await consumer.close();
      await deadLetterProducer.close();
      await database.close();
    },
  };
}
