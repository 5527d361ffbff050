import { openDatabase } from '../../db/client.ts';
import { parseStatsConfig } from '../../shared/config.ts';
import { configOrExit, createLogger, onShutdown, serveHardened } from '../lib/node-process.ts';
import { createApp } from './app.ts';
import { httpMetricsSources } from './metrics-sources.ts';

const config = configOrExit(parseStatsConfig);
const logger = createLogger(config.logLevel, 'stats');
const database = openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
const metricsSources = httpMetricsSources(config.metricsUrls);
const shutdown = new AbortController();
const app = createApp({ db: database.db, metricsSources, signal: shutdown.signal, logger });
const server = serveHardened({ fetch: app.fetch, port: config.port }, (info) =>
  logger.info({ port: info.port }, `stats listening on http://localhost:${info.port}/api/stats/summary`),
);
onShutdown(logger, async () => {
  shutdown.abort();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await database.close();
});
