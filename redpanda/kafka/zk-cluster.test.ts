import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consume, createTopic, produce } from '../../test/kafka-messages.ts';
import { repoRoot } from './jars.ts';
import { probeMetadata } from './metadata-probe.ts';
import { startZkCluster, type ZkCluster } from './zk-cluster.ts';

// Smoke test of the seed topology (3 ZooKeeper + 2 Kafka 3.9 brokers) that fault tests build on.
describe('startZkCluster', () => {
  const dataDir = path.join(repoRoot, '.data', 'test', `zk-test-${randomBytes(4).toString('hex')}`);
  let cluster: ZkCluster;

  beforeAll(async () => {
    cluster = await startZkCluster({ dataDir });
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves a replicated topic, and a killed broker rejoins after restart', async () => {
    const topic = 'replicated';
    await createTopic(cluster.brokers, topic, 2);
    await produce(cluster.brokers, topic, ['one']);

    await cluster.kafka[0]!.kill();
    await cluster.kafka[0]!.restart();
    await cluster.waitHealthy();

    const meta = await probeMetadata('127.0.0.1', cluster.kafka[1]!.port);
    expect(meta.brokerIds.sort()).toEqual([1, 2]);
    expect(await consume(cluster.brokers, topic, 1)).toEqual(['one']);
  }, 180_000); // five JVMs on two cores
});
