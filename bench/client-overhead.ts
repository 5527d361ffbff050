/**
 * What the Kafka clients cost per message on their own, with a handler that does nothing:
 * `npx tsx bench/client-overhead.ts`. Pre-fills 500,000 cart events on a fresh KRaft broker, then
 * drains them with the librdkafka adapter (librdkafka's consume(n) API), the pure-JS adapter, and
 * librdkafka's KafkaJS-compatible layer (which the librdkafka adapter used until it was measured
 * here), printing messages/s and the process's CPU per message.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import rdkafka from '@confluentinc/kafka-javascript';
import { confluentBroker } from '../broker/confluent/index.ts';
import { platformaticBroker } from '../broker/platformatic/index.ts';
import type { Broker } from '../shared/broker-port.ts';
import { parseKafkaConfig } from '../shared/config.ts';
import { silentLogger } from '../shared/logger.ts';
import { repoRoot } from '../redpanda/kafka/jars.ts';
import { startKafka } from '../redpanda/kafka/kraft.ts';
import { prefillTopic } from './prefill.ts';
import { say } from './progress.ts';

const EVENTS = 500_000;
const TOPIC = 'client-overhead';
const dataDir = path.join(repoRoot, '.data', `client-overhead-${process.pid}`);

type Drain = (count: (n: number) => void) => Promise<() => Promise<void>>;

async function measure(name: string, drain: Drain): Promise<void> {
  let seen = 0;
  let started = 0;
  let cpuAtStart = process.cpuUsage();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // The clock starts at the first batch, so connecting and joining the group are not counted.
  const stop = await drain((n) => {
    if (seen === 0) {
      started = performance.now();
      cpuAtStart = process.cpuUsage();
    }
    seen += n;
    if (seen >= EVENTS) finish();
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  say(`${name}: ${Math.round(EVENTS / seconds).toLocaleString('en')} messages/s, ${((cpu.user + cpu.system) / EVENTS).toFixed(2)} µs CPU per message`);
  await stop();
}

const throughPort = (broker: Broker, groupId: string): Drain => async (count) => {
  const consumer = await broker.createConsumer({ groupId, topics: [TOPIC], maxBatchSize: 2000 });
  void consumer.run(async (batch) => count(batch.length));
  return () => consumer.close();
};

say('starting Kafka (KRaft) ...');
const kafka = await startKafka({ dataDir, heap: '1g' });
try {
  const config = parseKafkaConfig({ KAFKA_BROKERS: kafka.brokers });
  await prefillTopic({ brokers: kafka.brokers, topic: TOPIC, partitions: 2, count: EVENTS, seed: 1, baseMs: Date.now() });
  await measure('librdkafka, consume(n) (our adapter)', throughPort(confluentBroker(config, { deliveryTimeoutMs: 10_000 }, silentLogger), 'g-confluent'));
  await measure('@platformatic/kafka (our adapter)', throughPort(platformaticBroker(config, { deliveryTimeoutMs: 10_000 }, silentLogger), 'g-platformatic'));
  await measure('librdkafka, KafkaJS-compatible layer', async (count) => {
    const consumer = new rdkafka.KafkaJS.Kafka({ kafkaJS: { brokers: [kafka.brokers], logLevel: rdkafka.KafkaJS.logLevel.NOTHING } }).consumer({
      kafkaJS: { groupId: 'g-kafkajs-layer', fromBeginning: true, autoCommit: false },
      'js.consumer.max.batch.size': 2000,
      'queued.max.messages.kbytes': 2048,
      'fetch.max.bytes': 1024 * 1024,
      'fetch.queue.backoff.ms': 20,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC] });
    await consumer.run({
      partitionsConsumedConcurrently: 2,
      eachBatch: async ({ batch }) => {
        const next = (BigInt(batch.messages.at(-1)!.offset) + 1n).toString();
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
        count(batch.messages.length);
      },
    });
    return () => consumer.disconnect();
  });
} finally {
  await kafka.stop();
  await rm(dataDir, { recursive: true, force: true });
}
