import { nodeBroker } from '../broker/for-node.ts';
import { openDatabase } from '../db/client.ts';
import { clickstreamData } from '../db/schema.ts';
import { decodeCart } from '../functions/consumer/decode-cart.ts';
import { DEFAULT_CONSUMER_COMMIT_INTERVAL_MS, parseKafkaConfig } from '../shared/config.ts';
import { silentLogger } from '../shared/logger.ts';

/**
 * The sink's floor: a consumer that lands one row per message, one INSERT statement each, as the
 * seed's consumer did. Same broker port, batch size and commits as the real consumer, so the
 * only difference measured is the insert strategy. Runs until SIGTERM.
 * Env: KAFKA_BROKERS, KAFKA_TOPIC, DATABASE_URL, CONSUMER_GROUP, CONSUMER_MAX_BATCH.
 */
const env = process.env;
const kafka = parseKafkaConfig(env);
const broker = await nodeBroker(kafka, { deliveryTimeoutMs: 10_000 }, silentLogger);
const database = openDatabase(env.DATABASE_URL!, { poolSize: 2 });
const consumer = await broker.createConsumer({
  groupId: env.CONSUMER_GROUP!,
  topics: [kafka.topic],
  maxBatchSize: Number(env.CONSUMER_MAX_BATCH ?? 1000),
  commitIntervalMs: DEFAULT_CONSUMER_COMMIT_INTERVAL_MS,
});

// The bench starts its clock (and CPU meter) after this line: module loading is not the floor's cost.
process.stdout.write('floor consumer ready\n');
const done = consumer.run(async (batch) => {
  for (const message of batch) {
    const decoded = decodeCart(message);
    if (!decoded.ok) continue;
    const { event } = decoded;
    await database.db
      .insert(clickstreamData)
      .values({
        eventId: event.eventId,
        username: event.username,
        creationTimestamp: event.createdAt,
        category: event.category,
        gender: event.gender,
        style: event.style,
        size: event.size,
        hexColor: event.hexColor,
        kafkaPartition: message.partition,
        kafkaOffset: Number(message.offset),
      })
      .onConflictDoNothing();
  }
});

process.on('SIGTERM', () => {
  void consumer
    .close()
    .then(() => database.close())
    .finally(() => process.exit(0));
});
await done;
