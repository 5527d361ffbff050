import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '../../redpanda/kafka/jars.ts';
import { startZkCluster } from '../../redpanda/kafka/zk-cluster.ts';
import { freshDatabase } from '../fresh-database.ts';
import { expectNothingLostNorDoubled } from './ledger.ts';
import { startScenario } from './scenario.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

it("keeps every acknowledged event when one of the seed topology's two brokers is killed under load", async () => {
  // The seed's cluster: 3 ZooKeeper nodes and 2 Kafka 3.9 brokers, topics replicated twice.
  const dataDir = path.join(repoRoot, `.data/test/seed-${crypto.randomUUID().slice(0, 8)}`);
  const cluster = await startZkCluster({ dataDir });
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }), () => cluster.stop());
  const database = await freshDatabase('fault_seed');
  cleanups.push(() => database.drop());
  const scenario = await startScenario('seed-broker-kill', {
    brokers: cluster.brokers,
    databaseUrl: database.url,
    replicationFactor: 2,
  });
  cleanups.push(() => scenario.close());
  await scenario.startConsumer();

  const load = await scenario.load(0.3, async () => {
    await cluster.kafka[0]!.kill();
  });
  expect(cluster.kafka[0]!.running()).toBe(false);
  expectNothingLostNorDoubled(await scenario.settle(load));
}, 420_000);
