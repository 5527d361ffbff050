import rdkafka from '@confluentinc/kafka-javascript';
import type { BrokerHealth, BrokerProducer, OutgoingMessage, ProducerSettings } from '../../shared/broker-port.ts';
import { DEFAULT_LINGER_MS, type KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { librdkafkaConnection } from './client.ts';
import { toPortError } from './errors.ts';
import { BrokerUnavailableError } from '../../shared/errors.ts';
import { withDeadline } from '../../shared/deadline.ts';
import { HEALTH_WAIT_MS, probeMetadata } from './health.ts';

type Producer = InstanceType<typeof rdkafka.Producer>;

/** Carried through librdkafka with each message and handed back in its delivery report. */
interface Delivery {
  readonly topic: string;
  resolve(): void;
  reject(error: unknown): void;
}

const refused = (error: unknown, topic: string) => toPortError(error, `produce to ${topic}`);

/**
 * The librdkafka producer itself, not its KafkaJS-compatible layer, whose `send()` costs more CPU
 * per message: 28.8–35.7 against 24.7–28.0 µs (`bench/producer-overhead.ts`).
 *
 * Connects lazily and again after a failure: librdkafka's connect() waits up to 30 s for a broker,
 * and a collector must still start (and answer 503, and report not ready) while the broker is down.
 */
export async function createConfluentProducer(
  config: KafkaConfig,
  settings: ProducerSettings,
  logger: Logger,
): Promise<BrokerProducer> {
  let current: Promise<Producer> | undefined;
  let ready: Producer | undefined;
  let closed = false;

  async function open(): Promise<Producer> {
    const producer = new rdkafka.Producer({
      ...librdkafkaConnection(config),
      acks: -1,
      'enable.idempotence': true,
      'compression.codec': 'lz4',
      // Java's partitioner, as the KafkaJS-compatible layer sets it: a key goes where Java clients put it.
      partitioner: 'murmur2_random',
      'linger.ms': settings.lingerMs ?? DEFAULT_LINGER_MS,
      'socket.nagle.disable': true,
      'message.timeout.ms': settings.deliveryTimeoutMs,
      dr_cb: true,
    });
    producer.on('delivery-report', (error, report) => {
      const delivery = report.opaque as Delivery;
      if (error) delivery.reject(refused(error, delivery.topic));
      else delivery.resolve();
    });
    producer.on('event.error', (error) => logger.warn({ err: error.message, kafka: true }, 'producer client error'));
    // A failed connect() has already released its librdkafka handle.
    await new Promise<void>((resolve, reject) =>
      producer.connect({ timeout: settings.deliveryTimeoutMs }, (error) => (error ? reject(error) : resolve())),
    );
    producer.setPollInBackground(true);
    return producer;
  }

  async function disconnect(producer: Producer): Promise<void> {
    await new Promise<void>((resolve) => {
      try {
        producer.flush(settings.deliveryTimeoutMs, () => resolve());
      } catch {
        resolve();
      }
    });
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }

  function connection(waitMs = settings.deliveryTimeoutMs): Promise<Producer> {
    current ??= open().then(
      (connected) => {
        // A connection that completes after close() is not kept.
        if (closed) void disconnect(connected);
        return (ready = connected);
      },
      (error: unknown) => {
        current = undefined;
        throw toPortError(error, 'connect to the broker');
      },
    );
    return withDeadline(current, waitMs, () => new BrokerUnavailableError(`no broker connection within ${waitMs} ms`));
  }
  connection().catch((error: Error) => logger.warn({ err: error.message }, 'broker not reachable yet'));

  /** Settles with the message's delivery report; rejects with a port error. */
  function send(producer: Producer, topic: string, message: OutgoingMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const delivery: Delivery = { topic, resolve, reject };
      const value = typeof message.value === 'string' ? Buffer.from(message.value) : Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength);
      const headers = message.headers ? Object.entries(message.headers).map(([name, text]) => ({ [name]: text })) : undefined;
      try {
        producer.produce(topic, -1, value, message.key, 0, delivery, headers);
      } catch (error) {
        // librdkafka refused the message at once (queue full, too large, unknown topic).
        reject(refused(error, topic));
      }
    });
  }

  async function connectAndSend(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const producer = await connection();
    await Promise.all(messages.map((message) => send(producer, topic, message)));
  }

  return {
    produce(topic: string, messages: readonly OutgoingMessage[]) {
      // Once connected, librdkafka reconnects by itself: no wait to arm per message, and a cart's
      // promise is its delivery report's, without an async frame around it.
      if (!ready || closed) return connectAndSend(topic, messages);
      const producer = ready;
      if (messages.length === 1) return send(producer, topic, messages[0]!);
      return Promise.all(messages.map((message) => send(producer, topic, message))).then(() => {});
    },
    async health(): Promise<BrokerHealth> {
      try {
        return await probeMetadata(await connection(HEALTH_WAIT_MS));
      } catch (error) {
        return { ok: false, detail: (error as Error).message };
      }
    },
    async close() {
      closed = true;
      if (ready) await disconnect(ready);
    },
  };
}
