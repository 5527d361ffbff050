import rdkafka from '@confluentinc/kafka-javascript';
import { nodeBroker } from '../broker/for-node.ts';
import { parseKafkaConfig } from '../shared/config.ts';
import { silentLogger } from '../shared/logger.ts';
import { cartEventFor } from './events.ts';
import { int, status } from './progress.ts';

export interface PrefillResult {
  readonly events: number;
  readonly seconds: number;
  readonly perSec: number;
}

/** Messages produced but not yet acknowledged, at most: the producer's own queue bound. */
const WINDOW = 100_000;
const CHUNK = 10_000;

/**
 * Writes events 0..count-1 of `seed` to the topic with librdkafka's native producer API directly
 * (not through the broker port, which waits for each produce() call's acknowledgement: pre-filling
 * a million events that way took minutes), in chunks of 10,000 with at most 100,000 unacknowledged,
 * keyed by username as the collector does, acks=all and lz4 as the collector does.
 */
export async function prefillTopic(options: {
  brokers: string;
  topic: string;
  partitions: number;
  count: number;
  seed: number;
  baseMs: number;
}): Promise<PrefillResult> {
  const kafka = parseKafkaConfig({ KAFKA_BROKERS: options.brokers });
  const broker = await nodeBroker(kafka, { deliveryTimeoutMs: 30_000 }, silentLogger);
  await broker.ensureTopics([{ name: options.topic, partitions: options.partitions, replicationFactor: 1 }]);

  const producer = new rdkafka.Producer({
    'bootstrap.servers': options.brokers,
    'client.id': 'bench-prefill',
    acks: -1,
    'enable.idempotence': true,
    'compression.type': 'lz4',
    'linger.ms': 20,
    'batch.num.messages': 10_000,
    'queue.buffering.max.messages': WINDOW * 2,
    dr_cb: true,
  });
  let delivered = 0;
  let failure: Error | undefined;
  producer.on('delivery-report', (error) => {
    if (error) failure ??= new Error(`pre-fill delivery failed: ${error.message}`);
    else delivered++;
  });
  await new Promise<void>((resolve, reject) => {
    producer.connect({ timeout: 30_000 }, (error) => (error ? reject(error) : resolve()));
  });
  producer.setPollInterval(20);

  const progress = status(`pre-fill ${options.topic}`, 5000);
  const started = performance.now();
  const rate = () => delivered / ((performance.now() - started) / 1000);
  const waitUntil = async (done: () => boolean, limitMs: number) => {
    const deadline = Date.now() + limitMs;
    while (!done()) {
      if (failure) throw failure;
      if (Date.now() > deadline) throw new Error(`pre-fill stalled at ${delivered}/${options.count} acknowledged`);
      progress.update(`${int(delivered)}/${int(options.count)} acknowledged (${int(rate())}/s)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    for (let from = 0; from < options.count; from += CHUNK) {
      await waitUntil(() => from - delivered <= WINDOW - CHUNK, 60_000);
      const to = Math.min(options.count, from + CHUNK);
      for (let i = from; i < to; i++) {
        const event = cartEventFor(options.seed, i, options.baseMs);
        producer.produce(options.topic, null, Buffer.from(JSON.stringify(event)), event.username);
      }
    }
    await waitUntil(() => delivered >= options.count, 60_000);
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(10_000, () => resolve()));
  }
  const seconds = (performance.now() - started) / 1000;
  progress.done(`${int(delivered)} events in ${seconds.toFixed(1)}s (${int(delivered / seconds)}/s)`);
  return { events: delivered, seconds, perSec: Math.round(delivered / seconds) };
}
