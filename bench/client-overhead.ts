/**
 * What the Kafka clients cost per message on their own, with a handler that does nothing:
 * `npx tsx bench/client-overhead.ts`. Pre-fills 500,000 cart events on a fresh KRaft broker, then
 * drains them with the librdkafka adapter (KafkaJS-compatible layer), the pure-JS adapter, and
 * librdkafka's lower-level consume(n) API, printing messages/s and the process's CPU per message.
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
  await measure('librdkafka, KafkaJS-compatible layer (our adapter)', throughPort(confluentBroker(config, { deliveryTimeoutMs: 10_000 }, silentLogger), 'g-confluent'));
  await measure('@platformatic/kafka (our adapter)', throughPort(platformaticBroker(config, { deliveryTimeoutMs: 10_000 }, silentLogger), 'g-platformatic'));
  await measure('librdkafka, lower-level consume(2000)', async (count) => {
    const consumer = new rdkafka.KafkaConsumer(
      { 'bootstrap.servers': kafka.brokers, 'group.id': 'g-low-level', 'enable.auto.commit': false, 'queued.max.messages.kbytes': 2048, 'fetch.max.bytes': 1024 * 1024, 'fetch.queue.backoff.ms': 20 },
      { 'auto.offset.reset': 'earliest' },
    );
    await new Promise<void>((resolve, reject) => consumer.connect({}, (error) => (error ? reject(error) : resolve())));
    consumer.subscribe([TOPIC]);
    consumer.setDefaultConsumeTimeout(100);
    let running = true;
    const loop = (async () => {
      while (running) {
        const messages = await new Promise<rdkafka.Message[]>((resolve, reject) =>
          consumer.consume(2000, (error, batch) => (error ? reject(error) : resolve(batch))),
        );
        if (messages.length === 0) continue;
        const next = new Map<number, number>();
        for (const m of messages) next.set(m.partition, m.offset + 1);
        consumer.commit([...next].map(([partition, offset]) => ({ topic: TOPIC, partition, offset })));
        count(messages.length);
      }
    })();
    return async () => {
      running = false;
      await loop;
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
    };
  });
} finally {
  await kafka.stop();
  await rm(dataDir, { recursive: true, force: true });
}
