import { serve } from '@hono/node-server';
import { nodeBroker } from '../../broker/for-node.ts';
import { parseCollectorConfig } from '../../shared/config.ts';
import { topicSpecs, topicsFor } from '../../shared/topics.ts';
import { configOrExit, createLogger, onShutdown } from '../lib/node-process.ts';
import { createApp } from './app.ts';

const config = configOrExit(parseCollectorConfig);
const logger = createLogger(config.logLevel, 'collector');
const broker = await nodeBroker(config.kafka, { deliveryTimeoutMs: config.produceTimeoutMs }, logger);
await broker.ensureTopics(topicSpecs(config.kafka));
const producer = await broker.createProducer();
const app = createApp({
  producer,
  topics: topicsFor(config.kafka.topic),
  // librdkafka gives up first, so a 503 never leaves a message behind that is written later.
  produceTimeoutMs: config.produceTimeoutMs + 1000,
  corsOrigins: config.corsOrigins,
  logger,
});
const server = serve({ fetch: app.fetch, port: config.port }, (info) =>
  logger.info({ port: info.port }, `collector listening on http://localhost:${info.port}`),
);
onShutdown(logger, async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await producer.close();
});
