import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { inject } from 'vitest';
import { confluentBroker } from '../broker/confluent/index.ts';
import { openDatabase } from '../db/client.ts';
import { createApp as createCollectorApp } from '../functions/collector/app.ts';
import { type ConsumerService, startConsumerService } from '../functions/consumer/service.ts';
import type { Broker, BrokerProducer } from '../shared/broker-port.ts';
import { type ConsumerConfig, parseCollectorConfig, parseConsumerConfig } from '../shared/config.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import { topicSpecs, topicsFor, type Topics } from '../shared/topics.ts';
import { freshDatabase, type FreshDatabase } from './fresh-database.ts';

export interface Pipeline {
  readonly broker: Broker;
  readonly producer: BrokerProducer;
  readonly database: FreshDatabase;
  readonly topics: Topics;
  readonly consumerConfig: ConsumerConfig;
  /** Base URL of the collector on a real socket. */
  readonly url: string;
  postCart(body: unknown): Promise<Response>;
  startConsumer(logger?: Logger): Promise<ConsumerService>;
  /** Resolves once the table holds at least `n` rows; rejects with the count after `timeoutMs`. */
  waitForRows(n: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * What every in-process harness starts from: a fresh database, topics and a consumer group of its
 * own on the test broker, both functions' config for them, and a producer.
 */
export async function startPipelineParts(label: string) {
  const suffix = `${label}-${crypto.randomUUID().slice(0, 8)}`;
  const database = await freshDatabase(label);
  const env = {
    KAFKA_BROKERS: inject('kafkaBrokers'),
    KAFKA_TOPIC: `clickstream-${suffix}`,
    KAFKA_TOPIC_PARTITIONS: '3',
    DATABASE_URL: database.url,
    CONSUMER_GROUP: `sink-${suffix}`,
  };
  const collectorConfig = parseCollectorConfig(env);
  const consumerConfig = parseConsumerConfig(env);
  const broker = confluentBroker(collectorConfig.kafka, { deliveryTimeoutMs: 10_000 }, silentLogger);
  await broker.ensureTopics(topicSpecs(collectorConfig.kafka));
  const producer = await broker.createProducer();
  return { database, consumerConfig, broker, producer, topics: topicsFor(collectorConfig.kafka.topic) };
}

/** A collector on a socket and a consumer in-process, on the test broker and a fresh database, with topics of their own. */
export async function startPipeline(label: string): Promise<Pipeline> {
  const { database, consumerConfig, broker, producer, topics } = await startPipelineParts(label);
  const app = createCollectorApp({ producer, topics, produceTimeoutMs: 11_000 });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const consumers = new Set<ConsumerService>();

  return {
    broker,
    producer,
    database,
    topics,
    consumerConfig,
    url,
    postCart: (body) =>
      fetch(`${url}/api/cart`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    async startConsumer(logger = silentLogger) {
      const service = await startConsumerService({
        broker,
        database: openDatabase(database.url),
        config: consumerConfig,
        logger,
      });
      consumers.add(service);
      const stop = service.stop.bind(service);
      return {
        ...service,
        stop: async () => {
          consumers.delete(service);
          await stop();
        },
      };
    },
    async waitForRows(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const count = await database.count();
        if (count >= n) return count;
        if (Date.now() > deadline) throw new Error(`expected ${n} rows, found ${count} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.stop()));
      await new Promise((resolve) => server.close(resolve));
      await producer.close();
      await database.drop();
    },
  };
}
