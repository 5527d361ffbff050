import { openDatabase } from '../../db/client.ts';
import { parseStatsConfig } from '../../shared/config.ts';
import { configOrExit, createLogger, onShutdown } from '../lib/deno-process.ts';
import { createApp, type MetricsSource } from './app.ts';

const config = configOrExit(parseStatsConfig);
const logger = createLogger(config.logLevel, 'stats');
const database = openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
const metricsSources: MetricsSource[] = config.metricsUrls.map(({ name, url }) => ({
  name,
  read: async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.text();
  },
}));
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
