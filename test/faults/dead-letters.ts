import { confluentBroker } from '../../broker/confluent/index.ts';
import type { IncomingMessage } from '../../shared/broker-port.ts';
import { parseKafkaConfig } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';

/** Reads `topic` from the beginning with a throwaway group until `expected` messages arrived or time runs out. */
export async function readTopic(brokers: string, topic: string, expected: number, timeoutMs = 60_000): Promise<IncomingMessage[]> {
  const broker = confluentBroker(parseKafkaConfig({ KAFKA_BROKERS: brokers }), { deliveryTimeoutMs: 5000 }, silentLogger);
  const consumer = await broker.createConsumer({ groupId: `reader-${crypto.randomUUID()}`, topics: [topic], maxBatchSize: 1000 });
  const seen: IncomingMessage[] = [];
  void consumer.run(async (batch) => void seen.push(...batch));
  const deadline = Date.now() + timeoutMs;
  while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  // A moment more, so that a surplus would show.
  await new Promise((r) => setTimeout(r, 1000));
  await consumer.close();
  return seen;
}
