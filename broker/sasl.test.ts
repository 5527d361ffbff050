import { pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { alterUserScramCredentialsV0, Connection, ScramMechanisms } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { repoRoot } from '../redpanda/kafka/jars.ts';
import { type KafkaProcess, startKafka } from '../redpanda/kafka/kraft.ts';
import type { Broker, IncomingMessage } from '../shared/broker-port.ts';
import { type KafkaConfig, parseKafkaConfig } from '../shared/config.ts';
import { FatalError, RetriableError } from '../shared/errors.ts';
import { silentLogger } from '../shared/logger.ts';
import { confluentBroker } from './confluent/index.ts';
import { platformaticBroker } from './platformatic/index.ts';

// KAFKA_SASL_* against a real broker: a second, throwaway Kafka with a SASL_PLAINTEXT listener next to
// its plaintext one; PLAIN users come from the broker's JAAS line, SCRAM users are created through
// the plaintext listener before the tests.
const USERS = { plain: ['alice', 'alice-secret'], 'scram-sha-256': ['bob', 'bob-secret'], 'scram-sha-512': ['carol', 'carol-secret'] } as const;

let kafka: KafkaProcess | undefined;
let saslBrokers = '';
const dataDir = path.join(repoRoot, '.data', `sasl-test-${randomUUID().slice(0, 8)}`);

/** SaltedPassword = Hi(password, salt, i) of RFC 5802, as the broker stores it. */
async function createScramUser(brokers: string, name: string, password: string, mechanism: 'scram-sha-256' | 'scram-sha-512') {
  const [host, port] = brokers.split(':');
  const connection = new Connection('sasl-test-setup');
  await connection.connect(host!, Number(port));
  try {
    const salt = randomBytes(16);
    const sha = mechanism === 'scram-sha-256' ? 'sha256' : 'sha512';
    const saltedPassword = pbkdf2Sync(password, salt, 4096, sha === 'sha256' ? 32 : 64, sha);
    const kind = mechanism === 'scram-sha-256' ? ScramMechanisms.SCRAM_SHA_256 : ScramMechanisms.SCRAM_SHA_512;
    await alterUserScramCredentialsV0.api.async(connection, [], [{ name, mechanism: kind, iterations: 4096, salt, saltedPassword }]);
  } finally {
    await connection.close();
  }
}

beforeAll(async () => {
  const [port, controllerPort, saslPort] = [await freePort(), await freePort(), await freePort()];
  kafka = await startKafka({
    dataDir,
    port,
    controllerPort,
    properties: {
      listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${USERS.plain[0]}="${USERS.plain[1]}";`,
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    },
  });
  saslBrokers = `127.0.0.1:${saslPort}`;
  await createScramUser(kafka.brokers, ...USERS['scram-sha-256'], 'scram-sha-256');
  await createScramUser(kafka.brokers, ...USERS['scram-sha-512'], 'scram-sha-512');
});

afterAll(async () => {
  await kafka?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const adapters: [string, (config: KafkaConfig) => Broker][] = [
  ['platformatic', (config) => platformaticBroker(config, { deliveryTimeoutMs: 5000 }, silentLogger)],
  ['confluent', (config) => confluentBroker(config, { deliveryTimeoutMs: 5000 }, silentLogger)],
];

describe.each(adapters)('SASL with the %s adapter', (name, makeBroker) => {
  const configFor = (mechanism: keyof typeof USERS, password?: string) =>
    parseKafkaConfig({
      KAFKA_BROKERS: saslBrokers,
      KAFKA_CLIENT_ID: `sasl-${name}`,
      KAFKA_SASL_MECHANISM: mechanism,
      KAFKA_SASL_USERNAME: USERS[mechanism][0],
      KAFKA_SASL_PASSWORD: password ?? USERS[mechanism][1],
    });

  it.each(Object.keys(USERS) as (keyof typeof USERS)[])('%s: creates topics, produces and consumes', async (mechanism) => {
    const broker = makeBroker(configFor(mechanism));
    const topic = `sasl-${name}-${mechanism}-${randomUUID().slice(0, 8)}`;
    await broker.ensureTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
    const producer = await broker.createProducer();
    const consumer = await broker.createConsumer({ groupId: `${topic}-group`, topics: [topic], maxBatchSize: 10 });
    try {
      expect((await producer.health()).ok).toBe(true);
      await producer.produce(topic, [{ key: 'k', value: `over ${mechanism}` }]);
      const got = await new Promise<IncomingMessage>((resolve) => void consumer.run(async (batch) => resolve(batch[0]!)));
      expect(new TextDecoder().decode(got.value!)).toBe(`over ${mechanism}`);
    } finally {
      await consumer.close();
      await producer.close();
    }
  });

  it('a wrong password fails ensureTopics with a port error instead of hanging', async () => {
    const broker = makeBroker(configFor('scram-sha-256', 'wrong-password'));
    const t0 = Date.now();
    const error = await broker.ensureTopics([{ name: `sasl-denied-${randomUUID().slice(0, 8)}`, partitions: 1, replicationFactor: 1 }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error instanceof FatalError || error instanceof RetriableError, String(error)).toBe(true);
    if (name === 'platformatic') expect(error).toBeInstanceOf(FatalError);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});
