import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../redpanda/kafka/jars.ts';
import { startKafka, type KafkaProcess } from '../redpanda/kafka/kraft.ts';
import { type LocalPostgres, startLocalPostgres } from '../scripts/local-postgres.ts';
import { claimTestRun, reapStaleTestRuns } from './stale-test-data.ts';

// Starts the real services the tests talk to, unless $KAFKA_BROKERS / $DATABASE_URL point at running ones.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const id = randomBytes(4).toString('hex');
  const testData = path.join(repoRoot, '.data', 'test');
  const kafkaDir = path.join(testData, `kafka-${id}`);
  await mkdir(testData, { recursive: true });
  const reaped = await reapStaleTestRuns(testData);
  if (reaped.length > 0) process.stderr.write(`[global-setup] removed data of dead test runs ${reaped.join(', ')}\n`);
  const releaseRun = await claimTestRun(testData, id);

  const [kafkaResult, postgresResult] = await Promise.allSettled([
    process.env.KAFKA_BROKERS
      ? null
      : timed('Kafka', () => startKafka({ dataDir: kafkaDir }), (k) => `${k.brokers} (log ${path.relative(repoRoot, k.logFile)})`),
    process.env.DATABASE_URL
      ? null
      : timed(
          'Postgres',
          () => startLocalPostgres({ dataDir: path.join(testData, `pg-${id}`), database: 'clickstream_test', fast: true }),
          (p) => `127.0.0.1:${p.port}`,
        ),
  ]);
  const kafka: KafkaProcess | null = kafkaResult.status === 'fulfilled' ? kafkaResult.value : null;
  const postgres: LocalPostgres | null = postgresResult.status === 'fulfilled' ? postgresResult.value : null;

  const teardown = async (): Promise<void> => {
    await Promise.all([
      kafka?.stop().then(() => rm(kafkaDir, { recursive: true, force: true })),
      postgres?.destroy(),
    ]);
    await releaseRun();
  };
  for (const result of [kafkaResult, postgresResult]) {
    if (result.status === 'rejected') {
      await teardown();
      throw result.reason;
    }
  }

  project.provide('kafkaBrokers', kafka?.brokers ?? process.env.KAFKA_BROKERS ?? '');
  project.provide(
    'kafkaBroker',
    kafka && {
      dataDir: kafka.dataDir,
      port: kafka.port,
      controllerPort: kafka.controllerPort,
      logFile: kafka.logFile,
      pid: kafka.pid,
    },
  );
  project.provide('databaseUrl', postgres?.url ?? process.env.DATABASE_URL ?? '');
  if (!kafka) process.stderr.write(`[global-setup] Kafka: using KAFKA_BROKERS=${process.env.KAFKA_BROKERS}\n`);
  if (!postgres) process.stderr.write('[global-setup] Postgres: using DATABASE_URL\n');
  return teardown;
}

async function timed<T>(what: string, start: () => Promise<T>, describe: (value: T) => string): Promise<T> {
  const t0 = Date.now();
  const value = await start();
  process.stderr.write(`[global-setup] ${what} started on ${describe(value)} in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
  return value;
}
