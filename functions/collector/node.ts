import { nodeBroker } from '../../broker/for-node.ts';
import { parseCollectorConfig, producerSettingsOf } from '../../shared/config.ts';
import { createCollectorMetrics } from '../lib/metrics.ts';
import { configOrExit, createLogger, nodeClientAddress, nodeClientKey, onShutdown, serveHardened } from '../lib/node-process.ts';
import { startCollectorService } from './service.ts';

const config = configOrExit(parseCollectorConfig);
const logger = createLogger(config.logLevel, 'collector');
const broker = await nodeBroker(config.kafka, producerSettingsOf(config), logger);
const collector = await startCollectorService({
  broker,
  config,
  logger,
  metrics: createCollectorMetrics({ processMetrics: true }),
  clientKey: nodeClientKey(config.trustProxy),
  clientAddress: nodeClientAddress(config.trustProxy),
});
const server = serveHardened({ fetch: collector.app.fetch, port: config.port }, (info) =>
  logger.info({ port: info.port }, `collector listening on http://localhost:${info.port}`),
);
onShutdown(logger, async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await collector.stop();
});
