/**
 * `npm run dev`: the whole pipeline on a laptop in one command. Uses DATABASE_URL and KAFKA_BROKERS
 * when set; otherwise starts an embedded Postgres (data kept in .data/postgres) and finds or starts
 * a broker. Ctrl-C stops everything this run started, in reverse order.
 */
import path from 'node:path';
import process from 'node:process';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { nodeBroker } from '../broker/for-node.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { startCollectorService } from '../functions/collector/service.ts';
import { startConsumerService } from '../functions/consumer/service.ts';
import { configOrExit, createLogger, nodeClientAddress, nodeClientKey, serveHardened } from '../functions/lib/node-process.ts';
import { createApp as createShopApp } from '../functions/shop/app.ts';
import { createNodeAssets } from '../functions/shop/node-assets.ts';
import { createApp as createStatsApp } from '../functions/stats/app.ts';
import { parseCollectorConfig, parseConsumerConfig, producerSettingsOf } from '../shared/config.ts';
import { repoRoot } from '../redpanda/kafka/jars.ts';
import { provideBroker } from './dev/provide-broker.ts';
import { leaveSignalsToCaller, startLocalPostgres } from './local-postgres.ts';
import { onStopSignals } from './stop-signals.ts';

const DEV_POSTGRES_PORT = 54329;
const cleanups: (() => Promise<unknown>)[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e) => console.error(e));
  }
  process.exit(code);
}
// The consumer must leave its group before the broker stops: nothing else may end the process first.
leaveSignalsToCaller();
onStopSignals({ stop: () => void stopAll(0), leaveNow: () => process.exit(130) });

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

try {
  const env = { ...process.env };
  if (!env.DATABASE_URL) {
    const dataDir = path.join(repoRoot, '.data/postgres');
    console.error(`Starting embedded Postgres on 127.0.0.1:${DEV_POSTGRES_PORT} (data in .data/postgres) ...`);
    const pg = await startLocalPostgres({ dataDir, port: DEV_POSTGRES_PORT, database: 'clickstream' });
    cleanups.push(() => pg.stop());
    env.DATABASE_URL = pg.url;
  }
  if (!env.KAFKA_BROKERS) {
    const broker = await provideBroker(path.join(repoRoot, '.data/kafka/dev'));
    cleanups.push(() => broker.stop());
    env.KAFKA_BROKERS = broker.brokers;
    console.error(`Broker: ${broker.description}`);
  }

  const collectorConfig = configOrExit(() => parseCollectorConfig(env));
  const consumerConfig = configOrExit(() => parseConsumerConfig(env));
  const logger = createLogger(collectorConfig.logLevel, 'dev');

  const migrations = openDatabase(consumerConfig.databaseUrl, { poolSize: 1 });
  await migrateDatabase(migrations.db);
  await migrations.close();

  const broker = await nodeBroker(collectorConfig.kafka, producerSettingsOf(collectorConfig), logger);
  const collector = await startCollectorService({
    broker,
    config: collectorConfig,
    logger,
    clientKey: nodeClientKey(collectorConfig.trustProxy),
    clientAddress: nodeClientAddress(collectorConfig.trustProxy),
  });
  cleanups.push(() => collector.stop());
  const consumer = await startConsumerService({
    broker,
    database: openDatabase(consumerConfig.databaseUrl, { poolSize: consumerConfig.databasePoolSize, copyOnThread: true }),
    config: consumerConfig,
    logger,
  });
  cleanups.push(() => consumer.stop());

  // The dashboard's data: Postgres, and the collector's and consumer's ledgers read in-process.
  const statsDatabase = openDatabase(consumerConfig.databaseUrl, { poolSize: 2 });
  cleanups.push(() => statsDatabase.close());
  const feeds = new AbortController();
  const stats = createStatsApp({
    db: statsDatabase.db,
    metricsSources: [
      { name: 'collector', read: () => collector.metrics.registry.metrics() },
      { name: 'consumer', read: () => consumer.metrics.registry.metrics() },
    ],
    signal: feeds.signal,
    logger,
  });

  // In production each function is deployed on its own behind one origin; here one server plays that router.
  const site = new Hono()
    .route('/', createShopApp({ assets: createNodeAssets(), logger }))
    .route('/', collector.app)
    .route('/', stats);
  const siteServer = serveHardened({ fetch: site.fetch, port: collectorConfig.port });
  cleanups.push(() => {
    feeds.abort();
    return closeServer(siteServer);
  });
  const healthServer = serveHardened({ fetch: consumer.app.fetch, port: consumerConfig.port });
  cleanups.push(() => closeServer(healthServer));

  console.error(
    [
      '',
      `  Shop:      http://localhost:${collectorConfig.port}/`,
      `  Dashboard: http://localhost:${collectorConfig.port}/dashboard`,
      `  Collector: POST http://localhost:${collectorConfig.port}/api/cart`,
      `  Consumer:  http://localhost:${consumerConfig.port}/readyz`,
      `  Metrics:   http://localhost:${collectorConfig.port}/metrics, http://localhost:${consumerConfig.port}/metrics`,
      `  Postgres:  ${consumerConfig.databaseUrl.replace(/:[^:@/]*@/, ':***@')} (tables clickstream_data, events)`,
      `  Broker:    ${collectorConfig.kafka.brokers.join(',')} (topic ${collectorConfig.kafka.topic})`,
      '',
      '  Ctrl-C stops everything this command started.',
      '',
    ].join('\n'),
  );
} catch (error) {
  console.error(`npm run dev failed: ${(error as Error).message}`);
  await stopAll(1);
}
