import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../redpanda/kafka/jars.ts';
import { startKafka } from '../../redpanda/kafka/kraft.ts';
import { startLocalPostgres } from '../../scripts/local-postgres.ts';
import { freshDatabase } from '../fresh-database.ts';
import { expectNothingLostNorDoubled } from './ledger.ts';
import { readTopic } from './dead-letters.ts';
import { startScenario } from './scenario.ts';
import { confluentBroker } from '../../broker/confluent/index.ts';
import { parseKafkaConfig } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';
import { topicsFor } from '../../shared/topics.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault tests: every acknowledged event stored exactly once', () => {
  it('survives the broker being SIGKILLed and restarted mid-load', async () => {
    const kafkaDir = path.join(repoRoot, `.data/test/fault-kafka-${crypto.randomUUID().slice(0, 8)}`);
    const kafka = await startKafka({ dataDir: kafkaDir });
    cleanups.push(() => rm(kafkaDir, { recursive: true, force: true }), () => kafka.stop());
    const database = await freshDatabase('fault_broker');
    cleanups.push(() => database.drop());
    const scenario = await startScenario('broker-sigkill', { brokers: kafka.brokers, databaseUrl: database.url });
    cleanups.push(() => scenario.close());
    await scenario.startConsumer();

    let readyDuringOutage: number | undefined;
    const load = await scenario.load(0.3, async () => {
      await kafka.kill();
      await sleep(1500);
      readyDuringOutage = (await fetch(`${scenario.collector.url}/readyz`)).status;
      await sleep(2000);
      await kafka.restart();
    });
    expect(readyDuringOutage).toBe(503);
    expect(load.retries).toBeGreaterThan(0);
    expectNothingLostNorDoubled(await scenario.settle(load));
  }, 300_000);

  it('survives Postgres stopping for 10 s mid-load, reporting not ready meanwhile', async () => {
    const pg = await startLocalPostgres({
      dataDir: path.join(repoRoot, `.data/test/fault-pg-${crypto.randomUUID().slice(0, 8)}`),
      database: 'clickstream',
      fast: true,
    });
    cleanups.push(() => pg.destroy());
    const scenario = await startScenario('postgres-outage', { brokers: inject('kafkaBrokers'), databaseUrl: pg.url });
    cleanups.push(() => scenario.close());
    const consumer = await scenario.startConsumer();

    let readyDuringOutage: number | undefined;
    const load = await scenario.load(0.3, async () => {
      await pg.stop();
      await sleep(5000);
      readyDuringOutage = (
        await fetch(`${consumer.url}/readyz`).catch((error: Error) => {
          throw new Error(`the consumer is not answering (${error.message}); its output:\n${consumer.output().slice(-6000)}`);
        })
      ).status;
      await sleep(5000);
      await pg.start();
    });
    expect(readyDuringOutage).toBe(503);
    expectNothingLostNorDoubled(await scenario.settle(load));
    await expect.poll(async () => (await fetch(`${consumer.url}/readyz`)).status, { timeout: 20_000 }).toBe(200);
  }, 300_000);

  it('survives the consumer being SIGKILLed, and a second consumer killed during a rebalance', async () => {
    const database = await freshDatabase('fault_consumer');
    cleanups.push(() => database.drop());
    const scenario = await startScenario('consumer-sigkill', { brokers: inject('kafkaBrokers'), databaseUrl: database.url });
    cleanups.push(() => scenario.close());
    const first = await scenario.startConsumer();

    const load = await scenario.load(0.25, async () => {
      await first.kill('SIGKILL');
      await sleep(1000);
      await scenario.startConsumer();
      await sleep(3000);
      // A second member joins, the group rebalances, and the newcomer dies in the middle of it.
      const second = await scenario.startConsumer();
      await sleep(300);
      await second.kill('SIGKILL');
    });
    expectNothingLostNorDoubled(await scenario.settle(load));
  }, 300_000);

  it('dead-letters poison interleaved with good events, and lands every good one', async () => {
    const brokers = inject('kafkaBrokers');
    const database = await freshDatabase('fault_poison');
    cleanups.push(() => database.drop());
    const scenario = await startScenario('poison', { brokers, databaseUrl: database.url });
    cleanups.push(() => scenario.close());
    await scenario.startConsumer();
    const producer = await confluentBroker(parseKafkaConfig({ KAFKA_BROKERS: brokers }), { deliveryTimeoutMs: 5000 }, silentLogger).createProducer();
    cleanups.push(() => producer.close());

    const good = (overrides: object) =>
      JSON.stringify({
        type: 'add_to_cart', eventId: crypto.randomUUID(), createdAt: '2026-11-28T01:02:03.456789Z',
        username: 'poison-neighbour', category: null, gender: null, style: null, size: null, hexColor: null, ...overrides,
      });
    const poisons: (string | Uint8Array)[] = [
      'not json {',
      '[1,2,3]',
      good({ username: 42 }),
      good({ username: 'nul\u0000byte' }),
      good({ category: 'Spaceship' }),
      good({ createdAt: '2026-02-30T25:61:00.000000Z' }),
      new Uint8Array([0xff, 0xfe, 0x00]),
    ];
    const rounds = 30;
    const load = await scenario.load(0.1, async () => {
      for (let round = 0; round < rounds; round++) {
        await producer.produce(scenario.topic, poisons.map((value, i) => ({ key: `poison-${i}`, value })));
        await sleep(150);
      }
    });
    const expectedLetters = rounds * poisons.length;
    const letters = await readTopic(brokers, topicsFor(scenario.topic).deadLetter, expectedLetters);
    const ledger = await scenario.settle(load, async () => letters.length);
    expectNothingLostNorDoubled(ledger);
    expect(letters).toHaveLength(expectedLetters);
    for (const letter of letters) {
      expect(letter.headers['dlq.reason']).toBeTruthy();
      expect(letter.headers['dlq.source.topic']).toBe(scenario.topic);
      expect(Number(letter.headers['dlq.source.offset'])).toBeGreaterThanOrEqual(0);
    }
    const originals = new Set(poisons.map((p) => Buffer.from(p).toString('base64')));
    expect(letters.every((l) => originals.has(Buffer.from(l.value!).toString('base64')))).toBe(true);

    // The replay tool leaves letters that still fail validation where they are...
    const run = promisify(execFile);
    const env = { ...process.env, KAFKA_BROKERS: brokers, KAFKA_TOPIC: scenario.topic, CONSUMER_GROUP: 'replay-test' };
    process.stderr.write(`[poison] letters read, dry run\n`);
    const dry = await run('npx', ['tsx', 'scripts/dlq-replay.ts', '--dry-run', '--idle-seconds', '4'], { cwd: repoRoot, env });
    expect(dry.stdout).toContain('Would replay 0 dead letters');
    expect(dry.stdout).toContain(`${expectedLetters} still fail validation`);
    // ...and with --all sends them back, so they return to the dead-letter topic once more.
    process.stderr.write(`[poison] dry run done, forced run\n`);
    const forced = await run('npx', ['tsx', 'scripts/dlq-replay.ts', '--all', '--idle-seconds', '4'], { cwd: repoRoot, env });
    expect(forced.stdout).toContain(`Replayed ${expectedLetters} dead letters`);
    process.stderr.write(`[poison] forced done\n`);
    expect(await readTopic(brokers, topicsFor(scenario.topic).deadLetter, 2 * expectedLetters)).toHaveLength(2 * expectedLetters);
    expect(await database.count()).toBe(ledger.stored);
  }, 300_000);
});
