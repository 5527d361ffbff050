import type { Hono } from 'hono';
import type { Broker } from '../../shared/broker-port.ts';
import type { CollectorConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { topicSpecs, topicsFor } from '../../shared/topics.ts';
import { createApp } from './app.ts';

export interface CollectorService {
  readonly app: Hono;
  /** Flushes the producer and disconnects. */
  stop(): Promise<void>;
}

/** Creates the topics and a producer, and wires the collector app; shared by the Node and Deno entries. */
export async function startCollectorService(deps: {
  readonly broker: Broker;
  readonly config: CollectorConfig;
  readonly logger: Logger;
}): Promise<CollectorService> {
  const { broker, config, logger } = deps;
  await broker.ensureTopics(topicSpecs(config.kafka));
  const producer = await broker.createProducer();
  const app = createApp({
    producer,
    topics: topicsFor(config.kafka.topic),
    // The client gives up at produceTimeoutMs, so a 503 never leaves a message behind that is written later;
    // this deadline is only the backstop.
    produceTimeoutMs: config.produceTimeoutMs + 1000,
    corsOrigins: config.corsOrigins,
    logger,
  });
  return { app, stop: () => producer.close() };
}
