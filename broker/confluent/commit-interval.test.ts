import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { BrokerConsumer, IncomingMessage } from '../../shared/broker-port.ts';
import { parseKafkaConfig } from '../../shared/config.ts';
import { until } from '../contract.ts';
import { silentLogger } from '../../shared/logger.ts';
import { connectionConfig, KafkaJS } from './client.ts';
import { confluentBroker } from './index.ts';

const config = parseKafkaConfig({ KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_CLIENT_ID: 'commit-interval-test' });
const broker = confluentBroker(config, { deliveryTimeoutMs: 10_000 }, silentLogger);
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** The group's committed offset of partition 0, read from the broker; -1 when none. */
async function committedOffset(groupId: string, topic: string): Promise<number> {
  const admin = new KafkaJS.Kafka({ kafkaJS: connectionConfig(config, silentLogger) }).admin();
  await admin.connect();
  try {
    const [topicOffsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(topicOffsets?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('confluent consumer with a commit interval', () => {
  it('commits landed batches together, the rest once there is nothing to read, and a batch landing at close', async () => {
    const topic = `commit-interval-${randomUUID().slice(0, 8)}`;
    const groupId = `${topic}-group`;
    await broker.ensureTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
    const producer = await broker.createProducer();
    cleanups.push(() => producer.close());
    await producer.produce(topic, Array.from({ length: 30 }, (_, i) => ({ key: 'k', value: `m-${i}` })));

    const landed: IncomingMessage[] = [];
    const third = gate();
    const last = gate();
    const lastHanded = gate();
    let batches = 0;
    let firstBatch = 0;
    const consumer: BrokerConsumer = await broker.createConsumer({
      groupId,
      topics: [topic],
      maxBatchSize: 5,
      fetchWaitMs: 0,
      // Far longer than the test: any commit it sees comes from the first batch, idleness or close.
      commitIntervalMs: 600_000,
    });
    cleanups.push(() => consumer.close());
    const running = consumer.run(async (batch) => {
      batches++;
      if (batches === 1) firstBatch = batch.length;
      if (batches === 3) await third.opened;
      if (batch.some((m) => m.value?.toString() === 'm-30')) {
        lastHanded.open();
        await last.opened;
      }
      landed.push(...batch);
    });

    // The first batch is committed as it lands; the second landed and waits for the interval.
    await until('two batches landed', () => batches === 3);
    expect(await committedOffset(groupId, topic)).toBe(firstBatch);
    expect(landed.length).toBeGreaterThan(firstBatch);
    third.open();

    // Once everything is read, what landed is committed without waiting for the interval.
    await until('30 messages landed', () => landed.length >= 30);
    await until('offset 30 committed while idle', async () => (await committedOffset(groupId, topic)) === 30);

    // A batch still landing when close() starts is committed before the consumer leaves.
    await producer.produce(topic, [{ key: 'k', value: 'm-30' }]);
    await lastHanded.opened;
    const closed = consumer.close();
    last.open();
    await closed;
    await running;
    expect(landed.map((m) => m.value?.toString())).toEqual(Array.from({ length: 31 }, (_, i) => `m-${i}`));
    expect(await committedOffset(groupId, topic)).toBe(31);
  });
});
