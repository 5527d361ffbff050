import type { Hono } from 'hono';
import type { Broker } from '../../shared/broker-port.ts';
import type { ConsumerConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { topicSpecs, topicsFor } from '../../shared/topics.ts';
import type { DatabaseHandle } from '../../db/client.ts';
import { insertCarts } from '../../db/insert-carts.ts';
import { createApp } from './app.ts';
import { createBatchHandler } from './batch-handler.ts';
import { toDeadLetterMessage } from './dead-letter.ts';

export interface ConsumerService {
  readonly app: Hono;
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
}): Promise<ConsumerService> {
  const { broker, database, config, logger } = deps;
  const topics = topicsFor(config.kafka.topic);
  await broker.ensureTopics(topicSpecs(config.kafka));
  const deadLetterProducer = await broker.createProducer();
  const consumer = await broker.createConsumer({
    groupId: config.groupId,
    topics: [topics.events],
    maxBatchSize: config.maxBatchSize,
  });

  let databaseOutage: string | undefined;
  const handler = createBatchHandler({
    insertCarts: (rows) => insertCarts(database.db, rows),
    deadLetter: (letters) => deadLetterProducer.produce(topics.deadLetter, letters.map(toDeadLetterMessage)),
    logger,
    onOutage: (down, error) => {
      databaseOutage = down ? (error?.message ?? 'unavailable') : undefined;
      logger[down ? 'warn' : 'info']({ err: error?.message }, down ? 'outage: pausing commits' : 'recovered');
    },
  });

  const app = createApp({
    logger,
    checks: {
      broker: () => consumer.health(),
      database: async () => {
        if (databaseOutage) return { ok: false, detail: databaseOutage };
        await database.ping();
        return { ok: true };
      },
    },
  });

  const done = consumer.run(handler);
  logger.info({ group: config.groupId, topic: topics.events }, 'consumer running');
  return {
    app,
    done,
    async stop() {
      await consumer.close();
      await deadLetterProducer.close();
      await database.close();
    },
  };
}
