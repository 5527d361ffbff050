import { Admin, Consumer, ProduceAcks, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';

// Minimal produce / consume helpers for tests of the test infrastructure itself.

export async function createTopic(brokers: string, topic: string, replicas = 1): Promise<void> {
  const admin = new Admin({ clientId: 'infra-test', bootstrapBrokers: brokers.split(',') });
  try {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas });
  } finally {
    await admin.close();
  }
}

/** acks=all: the client's default (leader only) loses the message when the leader is killed before replicating it. */
export async function produce(brokers: string, topic: string, values: string[]): Promise<void> {
  const producer = new Producer({ clientId: 'infra-test', bootstrapBrokers: brokers.split(','), serializers: stringSerializers });
  try {
    await producer.send({ messages: values.map((value) => ({ topic, value })), acks: ProduceAcks.ALL });
  } finally {
    await producer.close();
  }
}

/** The first `count` values of the topic, from the earliest offset, with a fresh consumer group. */
export async function consume(brokers: string, topic: string, count: number): Promise<string[]> {
  const consumer = new Consumer({
    clientId: 'infra-test',
    groupId: `infra-test-${randomUUID()}`,
    bootstrapBrokers: brokers.split(','),
    deserializers: stringDeserializers,
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 500 });
    const values: string[] = [];
    for await (const message of stream) {
      values.push(message.value);
      if (values.length >= count) break;
    }
    await stream.close();
    return values;
  } finally {
    await consumer.close(true);
  }
}
