/**
 * What producing costs per message with each client, the way the collector produces: 256 senders,
 * each awaiting the acks=all acknowledgement of one cart event before sending the next, with a 5 ms
 * linger on 2 partitions (the collector's defaults when the README's figures were taken):
 * `npx tsx bench/producer-overhead.ts`. On a fresh KRaft broker it runs the librdkafka adapter
 * (librdkafka's own producer API), the pure-JS adapter, and librdkafka's KafkaJS-compatible layer
 * (which the librdkafka adapter used until it was measured here), each twice, in turn, for 2 s of
 * warm-up and 8 s measured, and prints messages/s, this process's CPU per message (the client's threads included)
 * and the broker's.
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
import { cartEventFor } from './events.ts';
import { say, status } from './progress.ts';
import { cpuSecondsOf } from './rss.ts';

const SENDERS = 256;
const TOPIC = 'producer-overhead';
const LINGER_MS = 5;
const dataDir = path.join(repoRoot, '.data', `producer-overhead-${process.pid}`);
const events = Array.from({ length: 1000 }, (_, i) => cartEventFor(1, i, Date.now()));

type Send = (key: string, value: string) => Promise<unknown>;

async function measure(name: string, open: () => Promise<{ send: Send; close(): Promise<void> }>, kafkaPid: number): Promise<void> {
  const { send, close } = await open();
  const run = async (ms: number, label: string) => {
    const progress = status(`${name}: ${label}`, 1000);
    let sent = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (performance.now() < end) {
          const event = events[sent++ % events.length]!;
          await send(event.username, JSON.stringify(event));
          if (sent % 5000 === 0) progress.update(`${sent.toLocaleString('en')} acknowledged`);
        }
      }),
    );
    progress.done(`${sent.toLocaleString('en')} acknowledged`);
    return sent;
  };
  try {
    await run(2000, 'warm-up');
    const cpu0 = process.cpuUsage();
    const kafka0 = cpuSecondsOf(kafkaPid);
    const t0 = performance.now();
    const sent = await run(8000, 'measured');
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const kafkaMicros = (cpuSecondsOf(kafkaPid) - kafka0) * 1e6;
    say(
      `${name}: ${Math.round(sent / seconds).toLocaleString('en')} messages/s, ` +
        `${((cpu.user + cpu.system) / sent).toFixed(1)} µs CPU per message here, ${(kafkaMicros / sent).toFixed(1)} µs in Kafka`,
    );
  } finally {
    await close();
  }
}

const throughPort = (broker: Broker) => async () => {
  const producer = await broker.createProducer();
  return { send: (key: string, value: string) => producer.produce(TOPIC, [{ key, value }]), close: () => producer.close() };
};

say('starting Kafka (KRaft) ...');
const kafka = await startKafka({ dataDir, heap: '1g', numPartitions: 2 });
try {
  const config = parseKafkaConfig({ KAFKA_BROKERS: kafka.brokers });
  const settings = { deliveryTimeoutMs: 10_000, lingerMs: LINGER_MS };
  await confluentBroker(config, settings, silentLogger).ensureTopics([{ name: TOPIC, partitions: 2, replicationFactor: 1 }]);
  const clients: [string, () => Promise<{ send: Send; close(): Promise<void> }>][] = [
    ['librdkafka, its own producer API (our adapter)', throughPort(confluentBroker(config, settings, silentLogger))],
    ['@platformatic/kafka (our adapter)', throughPort(platformaticBroker(config, settings, silentLogger))],
    ['librdkafka, KafkaJS-compatible layer', async () => {
      const producer = new rdkafka.KafkaJS.Kafka({ kafkaJS: { brokers: [kafka.brokers], logLevel: rdkafka.KafkaJS.logLevel.NOTHING } }).producer({
        kafkaJS: { acks: -1, idempotent: true, compression: rdkafka.KafkaJS.CompressionTypes.LZ4 },
        'linger.ms': LINGER_MS,
        'socket.nagle.disable': true,
      });
      await producer.connect();
      return {
        send: (key: string, value: string) => producer.send({ topic: TOPIC, messages: [{ key, value: Buffer.from(value) }] }),
        close: () => producer.disconnect(),
      };
    }],
  ];
  // The broker's JIT warms on an unreported run first; then each client twice, in turn.
  await measure('broker warm-up (not a result)', clients[0]![1], kafka.pid);
  for (let round = 1; round <= 2; round++) {
    for (const [name, open] of clients) await measure(`${name}, round ${round}`, open, kafka.pid);
  }
} finally {
  await kafka.stop();
  await rm(dataDir, { recursive: true, force: true });
}
