import { nodeBroker } from '../broker/for-node.ts';
import { parseCollectorConfig, producerSettingsOf } from '../shared/config.ts';
import { silentLogger } from '../shared/logger.ts';
import { cartEventFor } from './events.ts';
import { int, say, status } from './progress.ts';
import { cpuSecondsOf } from './rss.ts';

export interface SmallRequestWarmUp {
  /** Kafka's CPU per acknowledged message in each window, in µs: it falls while the JIT compiles. */
  readonly kafkaCpuUsPerMessage: readonly number[];
  readonly windowSeconds: number;
  readonly messages: number;
}

const WINDOW_SECONDS = 5;

/**
 * The collector's traffic, without HTTP: `senders` loops that each produce one cart event through
 * the project's producer (the collector's settings, KAFKA_* passing through) and await its acks=all
 * acknowledgement before the next. Produce requests of a few dozen small messages take paths
 * through the broker that ProducerPerformance's large batches seldom do, and Kafka's JIT compiles
 * them only under such load: its CPU per message fell four- to fivefold over the first 40 s
 * (bench/README.md), and a collector stage run on the cold paths measured the JIT as much as the collector.
 */
export async function warmUpSmallRequests(options: {
  readonly brokers: string;
  readonly topic: string;
  readonly partitions: number;
  /** Kafka's process, whose CPU per message the progress line shows. */
  readonly kafkaPid: number;
  readonly seconds: number;
  readonly senders: number;
}): Promise<SmallRequestWarmUp> {
  const { brokers, topic, partitions, kafkaPid, seconds, senders } = options;
  const config = parseCollectorConfig({ ...process.env, KAFKA_BROKERS: brokers });
  const broker = await nodeBroker(config.kafka, producerSettingsOf(config), silentLogger);
  await broker.ensureTopics([{ name: topic, partitions, replicationFactor: 1 }]);
  const producer = await broker.createProducer();
  const base = Date.now();
  const events = Array.from({ length: 1000 }, (_, i) => cartEventFor(0x5a11, i, base));
  const label = `broker warm-up, small requests (${senders} senders, not reported)`;
  const progress = status(label, 5000);
  const perWindow: number[] = [];
  let acknowledged = 0;
  let windowStart = { at: performance.now(), acknowledged: 0, kafkaSeconds: cpuSecondsOf(kafkaPid) };
  const end = performance.now() + seconds * 1000;
  const summary = () => `${int(acknowledged)} acknowledged; Kafka µs of CPU per message by ${WINDOW_SECONDS} s window: ${perWindow.join(', ')}`;
  const closeWindow = (now: number) => {
    const messages = acknowledged - windowStart.acknowledged;
    const kafkaSeconds = cpuSecondsOf(kafkaPid);
    if (messages > 0) perWindow.push(Math.round(((kafkaSeconds - windowStart.kafkaSeconds) * 1e6) / messages * 10) / 10);
    windowStart = { at: now, acknowledged, kafkaSeconds };
    progress.update(summary());
  };
  try {
    await Promise.all(
      Array.from({ length: senders }, async () => {
        while (performance.now() < end) {
          const event = events[acknowledged % events.length]!;
          await producer.produce(topic, [{ key: event.username, value: JSON.stringify(event) }]);
          acknowledged++;
          const now = performance.now();
          if (now - windowStart.at >= WINDOW_SECONDS * 1000) closeWindow(now);
        }
      }),
    );
  } finally {
    await producer.close();
  }
  progress.done(summary());
  if (perWindow.length >= 2 && perWindow.at(-1)! > perWindow.at(-2)! * 1.3) {
    say('broker warm-up: Kafka\'s CPU per message was still moving in the last window (a neighbour, or a JIT still compiling)');
  }
  return { kafkaCpuUsPerMessage: perWindow, windowSeconds: WINDOW_SECONDS, messages: acknowledged };
}
