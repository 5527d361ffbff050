import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consume, createTopic, produce } from '../../test/kafka-messages.ts';
import { repoRoot } from './jars.ts';
import { startKafka, type KafkaProcess } from './kraft.ts';

// The handle fault tests rely on: a broker of their own, killed and restarted on the same port and data.
describe('startKafka', () => {
  const dataDir = path.join(repoRoot, '.data', 'test', `kraft-test-${randomBytes(4).toString('hex')}`);
  let kafka: KafkaProcess;

  beforeAll(async () => {
    kafka = await startKafka({ dataDir });
  });
  afterAll(async () => {
    await kafka?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps acknowledged messages across SIGKILL and restart', async () => {
    const topic = 'kill-restart';
    await createTopic(kafka.brokers, topic);
    await produce(kafka.brokers, topic, ['before kill']);
    const firstPid = kafka.pid;

    await kafka.kill();
    await kafka.restart();

    expect(kafka.pid).not.toBe(firstPid);
    await produce(kafka.brokers, topic, ['after restart']);
    expect(await consume(kafka.brokers, topic, 2)).toEqual(['before kill', 'after restart']);
  }, 120_000);

  it('restarts after a clean stop', async () => {
    await kafka.stop();
    await kafka.restart();
    expect(await consume(kafka.brokers, 'kill-restart', 1)).toEqual(['before kill']);
  }, 120_000);
});
