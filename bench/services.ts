import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { repoRoot } from '../redpanda/kafka/jars.ts';
import { type KafkaProcess, startKafka } from '../redpanda/kafka/kraft.ts';
import { type LocalPostgres, startLocalPostgres } from '../scripts/local-postgres.ts';
import { claimTestRun, reapStaleTestRuns } from '../test/stale-test-data.ts';
import type { PostgresMode } from './config.ts';
import { say } from './progress.ts';

/** The real broker and database the tests use, in .data/bench/, removed by stop(). */
export interface BenchServices {
  readonly kafka: KafkaProcess;
  readonly postgres: LocalPostgres;
  /** Postgres' postmaster pid, for CPU sampling. */
  readonly postgresPid: number | undefined;
  /** A new migrated database on the bench server; its URL. */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

export const benchData = path.join(repoRoot, '.data', 'bench');

export async function startServices(postgresMode: PostgresMode): Promise<BenchServices> {
  const id = randomBytes(4).toString('hex');
  await mkdir(benchData, { recursive: true });
  // Same layout as the tests' (.data/test): a SIGKILLed run's leftovers are removed by the next run.
  const reaped = await reapStaleTestRuns(benchData);
  if (reaped.length > 0) say(`removed data of dead bench runs ${reaped.join(', ')}`);
  const release = await claimTestRun(benchData, id);
  const kafkaDir = path.join(benchData, `kafka-${id}`);
  const pgDir = path.join(benchData, `pg-${id}`);

  const t0 = Date.now();
  const timed = <T>(what: string, start: Promise<T>) =>
    start.then((value) => {
      say(`${what} ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      return value;
    });
  say(`starting Kafka (KRaft, Apache Kafka 4) and embedded Postgres 18 (${postgresMode}) in .data/bench/ ...`);
  const [kafkaResult, pgResult] = await Promise.allSettled([
    timed('Kafka', startKafka({ dataDir: kafkaDir, heap: '1g' })),
    // Commit times for the end-to-end latency.
    timed('Postgres', startLocalPostgres({ dataDir: pgDir, database: 'bench', fast: postgresMode === 'fast', commitTimestamps: true })),
  ]);
  const kafka = kafkaResult.status === 'fulfilled' ? kafkaResult.value : undefined;
  const pg = pgResult.status === 'fulfilled' ? pgResult.value : undefined;

  const stop = async (): Promise<void> => {
    await Promise.allSettled([kafka?.stop(), pg?.destroy()]);
    await rm(kafkaDir, { recursive: true, force: true });
    await release();
    if ((await readdir(benchData).catch(() => ['?'])).length === 0) await rm(benchData, { recursive: true, force: true });
  };
  if (!kafka || !pg) {
    await stop();
    throw (kafkaResult.status === 'rejected' ? kafkaResult.reason : (pgResult as PromiseRejectedResult).reason) as Error;
  }

  const postgresPid = await postmasterPid(pgDir);

  return {
    kafka,
    postgres: pg,
    postgresPid,
    async database(name) {
      const server = postgres(pg.url, { max: 1, onnotice: () => {} });
      try {
        await server.unsafe(`drop database if exists ${name} with (force)`);
        await server.unsafe(`create database ${name}`);
      } finally {
        await server.end();
      }
      const url = new URL(pg.url);
      url.pathname = `/${name}`;
      const handle = openDatabase(url.href, { poolSize: 1 });
      try {
        await migrateDatabase(handle.db);
      } finally {
        await handle.close();
      }
      return url.href;
    },
    stop,
  };
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const first = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0];
  const pid = Number(first);
  return pid > 0 ? pid : undefined;
}
