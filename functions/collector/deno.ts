import { denoBroker } from '../../broker/for-deno.ts';
import { parseCollectorConfig, producerSettingsOf } from '../../shared/config.ts';
import { configOrExit, createLogger, denoClientAddress, denoClientKey, onShutdown } from '../lib/deno-process.ts';
import { startCollectorService } from './service.ts';

const config = configOrExit(parseCollectorConfig);
const logger = createLogger(config.logLevel, 'collector');
const broker = configOrExit(() => denoBroker(config.kafka, producerSettingsOf(config), logger));
const collector = await startCollectorService({
  broker,
  config,
  logger,
  clientKey: denoClientKey(config.trustProxy),
  clientAddress: denoClientAddress(config.trustProxy),
});
const server = Deno.serve(
  {
    port: config.port,
    onListen: ({ port }) => logger.info({ port }, `collector listening on http://localhost:${port}`),
  },
  // The connection info goes to Hono as its env, where denoClientKey reads the client's address.
  (request, info) => collector.app.fetch(request, info),
);
onShutdown(logger, async () => {
  await server.shutdown();
  await collector.stop();
});
