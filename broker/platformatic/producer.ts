import { compatibilityPartitioner, type MessageToProduce, ProduceAcks, Producer } from '@platformatic/kafka';
import type { BrokerHealth, BrokerProducer, OutgoingMessage, ProducerSettings } from '../../shared/broker-port.ts';
import { DEFAULT_LINGER_MS, type KafkaConfig } from '../../shared/config.ts';
import { BrokerUnavailableError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { closeForcefully, connectionOptions } from './client.ts';
import { withDeadline } from '../../shared/deadline.ts';
import { toPortError } from './errors.ts';
import { createHealthProbe } from './health.ts';
import { createLinger } from './linger.ts';

/** Upper bound of messages in one produce request. */
const MAX_MESSAGES_PER_REQUEST = 500;

function toRecord(topic: string, m: OutgoingMessage): MessageToProduce {
  return {
    topic,
    key: m.key === null ? undefined : Buffer.from(m.key),
    value: typeof m.value === 'string' ? Buffer.from(m.value) : Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
    headers: new Map(Object.entries(m.headers ?? {}).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
  };
}

/**
 * An idempotent, acks=all producer, one request in flight at a time (see linger.ts). A request not
 * acknowledged within the delivery timeout is rejected, and the client that sent it is closed (which
 * cancels its retries), so a message reported as failed is not written later by a retry. After any
 * failed request the client is replaced too: its sequence numbers may no longer match the broker's
 * (a request that failed on our side may have been appended), and a fresh producer id starts clean.
 */
export async function createPlatformaticProducer(
  config: KafkaConfig,
  settings: ProducerSettings,
  logger: Logger,
): Promise<BrokerProducer> {
  const deliveryMs = settings.deliveryTimeoutMs;
  const newClient = () =>
    new Producer({
      ...connectionOptions(config),
      idempotent: true,
      acks: ProduceAcks.ALL,
      // Java's partitioner, as the librdkafka adapter's: the client's default reads the hash as
      // unsigned, which puts about half of all keys elsewhere on a topic of 3 or 6 partitions.
      partitioner: compatibilityPartitioner,
      // Attempts within the delivery timeout; the deadline below is the backstop.
      timeout: deliveryMs,
      connectTimeout: Math.min(5000, deliveryMs),
      retries: Math.max(2, Math.floor(deliveryMs / 500)),
      retryDelay: 250,
    });
  let client = newClient();
  let closed = false;
  const health = createHealthProbe(config);

  function retire(stale: Producer): void {
    if (client === stale && !closed) client = newClient();
    closeForcefully(stale).catch(() => {});
  }

  const linger = createLinger<MessageToProduce>({
    lingerMs: settings.lingerMs ?? DEFAULT_LINGER_MS,
    maxItems: MAX_MESSAGES_PER_REQUEST,
    async flush(records, startedAt) {
      const sender = client;
      const topics = [...new Set(records.map((r) => r.topic))].join(', ');
      const left = deliveryMs - (Date.now() - startedAt);
      // Waited its whole delivery timeout behind slow requests: fail it unsent, the client is fine.
      if (left <= 0) throw new BrokerUnavailableError(`produce to ${topics}: not sent within ${deliveryMs} ms, the broker is slow`);
      let timedOut = false;
      try {
        await withDeadline(sender.send({ messages: records }), left, () => {
          timedOut = true;
          return new BrokerUnavailableError(`produce to ${topics}: not acknowledged within ${deliveryMs} ms`);
        });
      } catch (error) {
        const portError = toPortError(error, `produce to ${topics}`);
        logger.warn({ topics, err: portError.message, timedOut }, 'produce failed, replacing the Kafka client');
        retire(sender);
        throw portError;
      }
    },
  });

  return {
    produce(topic, messages) {
      if (closed) return Promise.reject(new BrokerUnavailableError(`produce to ${topic}: producer is closed`));
      return linger.add(messages.map((m) => toRecord(topic, m)));
    },
    health: (): Promise<BrokerHealth> => health.probe(),
    async close() {
      closed = true;
      await linger.drain();
      await health.close();
      await closeForcefully(client).catch(() => {});
    },
  };
}
