import { openDatabase } from '../../db/client.ts';
import { parseStatsConfig } from '../../shared/config.ts';
import { configOrExit, createLogger, onShutdown } from '../lib/deno-process.ts';
import { createApp } from './app.ts';
import { httpMetricsSources } from './metrics-sources.ts';

const config = configOrExit(parseStatsConfig);
const logger = createLogger(config.logLevel, 'stats');
const database = openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
const metricsSources = httpMetricsSources(config.metricsUrls);
const feeds = new AbortController();
const app = createApp({ db: database.db, metricsSources, signal: feeds.signal, logger });
const server = Deno.serve(
  {
    port: config.port,
    onListen: ({ port }) => logger.info({ port }, `stats listening on http://localhost:${port}/api/stats/summary`),
  },
  app.fetch,
);
onShutdown(logger, async () => {
  feeds.abort();
  await server.shutdown();
  await database.close();
});
