import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';
import { baseEnv, DENO, spawnProcess, type SpawnedProcess } from '../test/spawn-process.ts';

// The Deno entries as a deployment runs them: two `deno run` processes on the platformatic client,
// the real broker and a real Postgres, stopped the way an orchestrator stops them.
describe('the pipeline on Deno (real broker, real Postgres)', () => {
  let database: FreshDatabase;
  const running: SpawnedProcess[] = [];

  beforeAll(async () => {
    database = await freshDatabase('deno');
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
    await database?.drop();
  });

  it('lands a cart POSTed to the Deno collector as one row through the Deno consumer; both exit on SIGTERM within 10 s', async () => {
    const suffix = randomUUID().slice(0, 8);
    const [collectorPort, consumerPort] = [await freePort(), await freePort()];
    const env = {
      ...baseEnv(),
      NO_COLOR: '1',
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC: `clickstream-deno-${suffix}`,
      KAFKA_TOPIC_PARTITIONS: '3',
      DATABASE_URL: database.url,
      CONSUMER_GROUP: `sink-deno-${suffix}`,
      PORT: String(collectorPort),
      CONSUMER_PORT: String(consumerPort),
      LOG_LEVEL: 'warn',
    };
    const collector = spawnProcess('collector', DENO, ['run', '-A', 'functions/collector/deno.ts'], env);
    const consumer = spawnProcess('consumer', DENO, ['run', '-A', 'functions/consumer/deno.ts'], env);
    running.push(collector, consumer);
    await Promise.all([
      collector.waitForOk(`http://127.0.0.1:${collectorPort}/readyz`),
      consumer.waitForOk(`http://127.0.0.1:${consumerPort}/readyz`),
    ]);

    const res = await fetch(`http://127.0.0.1:${collectorPort}/api/cart`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Deno 🦕 Ölçek', category: 'Hat', size: 'L', hexColor: '#00AA55' }),
    });
    expect(res.status, collector.output()).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };

    const deadline = Date.now() + 30_000;
    let rows: Record<string, unknown>[] = [];
    while (Date.now() < deadline) {
      rows = await database.rows();
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rows, consumer.output()).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event_id: eventId, username: 'Deno 🦕 Ölçek', category: 'Hat', size: 'L', hex_color: '#00aa55' });

    const [collectorExit, consumerExit] = await Promise.all([collector.stop('SIGTERM'), consumer.stop('SIGTERM')]);
    expect(collectorExit, collector.output()).toMatchObject({ code: 0 });
    expect(consumerExit, consumer.output()).toMatchObject({ code: 0 });
    expect(collectorExit.ms).toBeLessThan(10_000);
    expect(consumerExit.ms).toBeLessThan(10_000);
    // A second look: nothing arrives twice after the consumer left its group.
    expect(await database.count()).toBe(1);
  });
});
