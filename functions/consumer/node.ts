import { nodeBroker } from '../../broker/for-node.ts';
import { openDatabase } from '../../db/client.ts';
import { parseConsumerConfig } from '../../shared/config.ts';
import { createConsumerMetrics } from '../lib/metrics.ts';
import { configOrExit, createLogger, onShutdown, serveHardened } from '../lib/node-process.ts';
import { startConsumerService } from './service.ts';

const config = configOrExit(parseConsumerConfig);
const logger = createLogger(config.logLevel, 'consumer');
const broker = await nodeBroker(config.kafka, { deliveryTimeoutMs: 10_000 }, logger);
const database = openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize, copyOnThread: true });
const service = await startConsumerService({
  broker,
  database,
  config,
  logger,
  metrics: createConsumerMetrics({ processMetrics: true }),
});
const server = serveHardened({ fetch: service.app.fetch, port: config.port }, (info) =>
  logger.info({ port: info.port }, `consumer health on http://localhost:${info.port}/readyz`),
);
onShutdown(logger, async () => {
  await service.stop();
  server.close();
});
