import { afterAll, expect, inject, it } from 'vitest';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';
import { spawnFunction } from '../test/faults/child.ts';
import { launchOf } from '../scripts/npm-launch.ts';

let database: FreshDatabase | undefined;
afterAll(() => database?.drop());

it('on SIGTERM the collector and the consumer stop within 10 s, exit 0, and every acknowledged cart is stored', async () => {
  database = await freshDatabase('shutdown');
  const suffix = crypto.randomUUID().slice(0, 8);
  const env = {
    KAFKA_BROKERS: inject('kafkaBrokers'),
    KAFKA_TOPIC: `shutdown-${suffix}`,
    DATABASE_URL: database.url,
    CONSUMER_GROUP: `shutdown-${suffix}`,
  };
  const [collectorPort, consumerPort] = [await freePort(), await freePort()];
  const collector = spawnFunction('collector', 'functions/collector/node.ts', { ...env, PORT: String(collectorPort) }, collectorPort);
  const consumer = spawnFunction('consumer', 'functions/consumer/node.ts', { ...env, CONSUMER_PORT: String(consumerPort) }, consumerPort, launchOf('consume'));
  try {
    await Promise.all([collector.waitFor('/readyz'), consumer.waitFor('/readyz')]);
    const acknowledged: string[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await fetch(`${collector.url}/api/cart`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `bye-${i % 5}` }),
        });
        if (res.status === 202) acknowledged.push(((await res.json()) as { eventId: string }).eventId);
      }),
    );
    expect(acknowledged).toHaveLength(200);

    const started = Date.now();
    const [collectorExit, consumerExit] = await Promise.all([collector.kill('SIGTERM'), consumer.kill('SIGTERM')]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect({ collectorExit, consumerExit }).toEqual({ collectorExit: 0, consumerExit: 0 });
    // The collector no longer accepts.
    await expect(fetch(`${collector.url}/healthz`)).rejects.toThrow();

    // Whatever the consumer had not landed before it left is delivered to the next member of the group.
    const next = spawnFunction('consumer', 'functions/consumer/node.ts', { ...env, CONSUMER_PORT: String(consumerPort) }, consumerPort, launchOf('consume'));
    try {
      await expect.poll(() => database!.count(), { timeout: 30_000, interval: 250 }).toBe(200);
      const stored = new Set((await database.rows()).map((r) => r.event_id));
      expect(acknowledged.every((id) => stored.has(id))).toBe(true);
    } finally {
      await next.kill('SIGTERM');
    }
  } finally {
    await Promise.all([collector.kill(), consumer.kill()]);
  }
}, 90_000);
