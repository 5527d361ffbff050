/**
 * `deno task test`: the pipeline's services under the Deno runtime itself (`deno test`), on a real
 * broker and a real Postgres: $KAFKA_BROKERS and $DATABASE_URL when set, otherwise a Kafka (Java 17+)
 * and an embedded Postgres started here, as vitest's global setup does for Node.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { denoBroker } from '../broker/for-deno.ts';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { startKafka } from '../redpanda/kafka/kraft.ts';
import { startLocalPostgres } from '../scripts/local-postgres.ts';
import { parseCollectorConfig, parseConsumerConfig, parseKafkaConfig, producerSettingsOf } from '../shared/config.ts';
import { ConfigError } from '../shared/errors.ts';
import { silentLogger } from '../shared/logger.ts';
import { startCollectorService } from './collector/service.ts';
import { startConsumerService } from './consumer/service.ts';

// Just the slice of Deno's API used here, so that tsc (which has no Deno types) can check this file.
declare const Deno: {
  env: { toObject(): Record<string, string> };
  test(definition: { name: string; sanitizeOps?: boolean; sanitizeResources?: boolean; fn: () => Promise<void> | void }): void;
  serve(
    options: { port: number; hostname: string; onListen?: () => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
};

const env = Deno.env.toObject();
const REPO_ROOT = new URL('..', import.meta.url).pathname;

/** The broker and Postgres server to use, and how to stop the ones started here. */
async function provideServices(dataDir: string) {
  const stops: (() => Promise<unknown>)[] = [];
  let brokers = env.KAFKA_BROKERS;
  let serverUrl = env.DATABASE_URL;
  try {
    const [kafka, pg] = await Promise.all([
      brokers ? null : startKafka({ dataDir: path.join(dataDir, 'kafka') }),
      serverUrl ? null : startLocalPostgres({ dataDir: path.join(dataDir, 'pg'), database: 'clickstream_deno', fast: true }),
    ]);
    if (kafka) stops.push(() => kafka.stop());
    if (pg) stops.push(() => pg.destroy());
    brokers ??= kafka!.brokers;
    serverUrl ??= pg!.url;
  } catch (error) {
    await Promise.all(stops.map((stop) => stop()));
    throw error;
  }
  return { brokers, serverUrl, stop: () => Promise.all(stops.map((stop) => stop().catch(() => {}))) };
}

/** A new, migrated database on the server, so runs never share rows. */
async function freshDatabase(serverUrl: string) {
  const name = `cs_deno_${randomUUID().slice(0, 8)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const migrations = openDatabase(url.href, { poolSize: 1 });
  await migrateDatabase(migrations.db);
  await migrations.close();
  const sql = postgres(url.href, { max: 1, onnotice: () => {} });
  return {
    url: url.href,
    rows: () => sql`select event_id, username, size from clickstream_data`,
    async drop() {
      await sql.end();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

Deno.test({
  name: 'denoBroker refuses KAFKA_CLIENT=confluent with a ConfigError naming the variable',
  fn() {
    const config = parseKafkaConfig({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_CLIENT: 'confluent' });
    assert.throws(() => denoBroker(config, { deliveryTimeoutMs: 1000 }, silentLogger), (error: unknown) => {
      return error instanceof ConfigError && error.message.includes('KAFKA_CLIENT');
    });
  },
});

Deno.test({
  name: 'on Deno, a cart posted to the collector lands as one row through the consumer, and both stop cleanly',
  // The Kafka and Postgres clients keep sockets and timers that outlive single operations by design.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dataDir = path.join(REPO_ROOT, '.data', 'deno-test', randomUUID().slice(0, 8));
    const services = await provideServices(dataDir);
    const database = await freshDatabase(services.serverUrl);
    try {
      const suffix = randomUUID().slice(0, 8);
      const vars = {
        KAFKA_BROKERS: services.brokers,
        KAFKA_TOPIC: `clickstream-denotest-${suffix}`,
        KAFKA_TOPIC_PARTITIONS: '3',
        DATABASE_URL: database.url,
        CONSUMER_GROUP: `sink-denotest-${suffix}`,
      };
      const collectorConfig = parseCollectorConfig(vars);
      const consumerConfig = parseConsumerConfig(vars);
      const broker = denoBroker(collectorConfig.kafka, producerSettingsOf(collectorConfig), silentLogger);
      const collector = await startCollectorService({ broker, config: collectorConfig, logger: silentLogger });
      const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, collector.app.fetch);
      const consumer = await startConsumerService({
        broker,
        database: openDatabase(database.url),
        config: consumerConfig,
        logger: silentLogger,
      });

      const base = `http://127.0.0.1:${server.addr.port}`;
      assert.equal((await fetch(`${base}/readyz`).then((r) => r.status)), 200);
      const res = await fetch(`${base}/api/cart`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'deno-test 🦕', size: 'S' }),
      });
      assert.equal(res.status, 202);
      const { eventId } = (await res.json()) as { eventId: string };

      const deadline = Date.now() + 30_000;
      let rows = await database.rows();
      while (rows.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        rows = await database.rows();
      }
      assert.deepEqual([...rows], [{ event_id: eventId, username: 'deno-test 🦕', size: 'S' }]);

      const t0 = Date.now();
      await server.shutdown();
      await collector.stop();
      await consumer.stop();
      await consumer.done;
      assert.ok(Date.now() - t0 < 10_000, `stopping took ${Date.now() - t0} ms`);
    } finally {
      await database.drop();
      await services.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
});
