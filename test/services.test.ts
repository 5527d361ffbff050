import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { consume, createTopic, produce } from './kafka-messages.ts';

// Proves test/global-setup.ts hands out a working broker and database.
describe('test services', () => {
  it('Kafka: a produced message is consumed back', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = `services-test-${randomUUID()}`;
    const value = `hello ${randomUUID()}`;
    await createTopic(brokers, topic);
    await produce(brokers, topic, [value]);
    expect(await consume(brokers, topic, 1)).toEqual([value]);
  });

  it('Postgres: select 1', async () => {
    const sql = postgres(inject('databaseUrl'), { max: 1, onnotice: () => undefined });
    try {
      const [row] = await sql<{ one: number; db: string }[]>`select 1 as one, current_database() as db`;
      expect(row).toEqual({ one: 1, db: expect.any(String) });
    } finally {
      await sql.end();
    }
  });
});
