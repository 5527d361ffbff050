import { denoBroker } from '../../broker/for-deno.ts';
import { openDatabase } from '../../db/client.ts';
import { parseConsumerConfig } from '../../shared/config.ts';
import { configOrExit, createLogger, onShutdown } from '../lib/deno-process.ts';
import { startConsumerService } from './service.ts';

const config = configOrExit(parseConsumerConfig);
const logger = createLogger(config.logLevel, 'consumer');
const broker = configOrExit(() => denoBroker(config.kafka, { deliveryTimeoutMs: 10_000 }, logger));
const database = openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
const service = await startConsumerService({ broker, database, config, logger });
const server = Deno.serve(
  {
    port: config.port,
    onListen: ({ port }) => logger.info({ port }, `consumer health on http://localhost:${port}/readyz`),
  },
  service.app.fetch,
);
onShutdown(logger, async () => {
  await service.stop();
  await server.shutdown();
});
