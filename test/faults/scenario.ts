import postgres from 'postgres';
import { openDatabase } from '../../db/client.ts';
import { migrateDatabase } from '../../db/migrate.ts';
import { freePort } from '../../redpanda/kafka/free-port.ts';
import { spawnFunction, type FunctionProcess } from './child.ts';
import { launchOf } from '../../scripts/npm-launch.ts';
import { buildLedger, type Ledger, reportLedger } from './ledger.ts';
import { type LoadLedger, runLoad } from './load.ts';

export const LOAD_EVENTS = Number(process.env.FAULT_LOAD_EVENTS ?? 20_000);
const CONCURRENCY = 32;

export interface Scenario {
  readonly topic: string;
  readonly collector: FunctionProcess;
  startConsumer(): Promise<FunctionProcess>;
  /** Runs the load; `during` runs alongside once `atFraction` of it is acknowledged. */
  load(atFraction: number, during: () => Promise<void>): Promise<LoadLedger>;
  /** Waits until every acknowledged event has a row and the count has settled, then builds the ledger. */
  settle(load: LoadLedger, deadLettered?: () => Promise<number>): Promise<Ledger>;
  close(): Promise<void>;
}

/** Collector and consumer as separate processes on a fresh topic, group and (migrated) database. */
export async function startScenario(
  name: string,
  services: { brokers: string; databaseUrl: string; replicationFactor?: number },
): Promise<Scenario> {
  const started = Date.now();
  const suffix = `${name}-${crypto.randomUUID().slice(0, 8)}`;
  const migrations = openDatabase(services.databaseUrl, { poolSize: 1 });
  await migrateDatabase(migrations.db);
  await migrations.close();
  const sql = postgres(services.databaseUrl, { max: 1, onnotice: () => {} });
  const env = {
    KAFKA_BROKERS: services.brokers,
    KAFKA_TOPIC: `faults-${suffix}`,
    KAFKA_TOPIC_PARTITIONS: '4',
    KAFKA_REPLICATION_FACTOR: String(services.replicationFactor ?? 1),
    DATABASE_URL: services.databaseUrl,
    CONSUMER_GROUP: `sink-${suffix}`,
    PRODUCE_TIMEOUT_MS: '3000',
  };
  const collectorPort = await freePort();
  const collector = spawnFunction('collector', 'functions/collector/node.ts', { ...env, PORT: String(collectorPort) }, collectorPort);
  await collector.waitFor('/readyz');
  const processes: FunctionProcess[] = [collector];

  return {
    topic: env.KAFKA_TOPIC,
    collector,
    async startConsumer() {
      const port = await freePort();
      const consumer = spawnFunction('consumer', 'functions/consumer/node.ts', { ...env, CONSUMER_PORT: String(port) }, port, launchOf('consume'));
      processes.push(consumer);
      await consumer.waitFor('/healthz');
      return consumer;
    },
    async load(atFraction, during) {
      let fired: Promise<void> | undefined;
      const ledger = await runLoad({
        url: collector.url,
        total: LOAD_EVENTS,
        concurrency: CONCURRENCY,
        giveUpAfterMs: 120_000,
        onProgress: (acknowledged, total) => {
          process.stderr.write(`[${name}] ${acknowledged}/${total} acknowledged\n`);
          if (!fired && acknowledged >= total * atFraction) fired = during();
        },
      });
      await fired;
      return ledger;
    },
    async settle(load, deadLettered) {
      const deadline = Date.now() + 120_000;
      let previous = -1;
      let ids: string[] = [];
      for (;;) {
        ids = (await sql`select event_id from clickstream_data`).map((r) => r.event_id as string);
        if (ids.length >= load.acknowledged.size && ids.length === previous) break;
        if (Date.now() > deadline) break;
        previous = ids.length;
        await new Promise((r) => setTimeout(r, 1500));
      }
      const ledger = buildLedger(name, load, ids, (Date.now() - started) / 1000, await deadLettered?.());
      await reportLedger(ledger);
      return ledger;
    },
    async close() {
      await Promise.all(processes.map((p) => p.kill('SIGTERM')));
      await sql.end();
    },
  };
}
