import type { BrokerHealth, BrokerProducer, OutgoingMessage, ProducerSettings } from '../../shared/broker-port.ts';
import type { KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { connectionConfig, KafkaJS } from './client.ts';
import { toPortError } from './errors.ts';
import { BrokerUnavailableError } from '../../shared/errors.ts';
import { withDeadline } from '../../shared/deadline.ts';
import { probeBroker } from './health.ts';

const HEALTH_WAIT_MS = 2000;

type Client = InstanceType<typeof KafkaJS.Kafka>;
type Connected = { producer: ReturnType<Client['producer']>; admin: ReturnType<ReturnType<Client['producer']>['dependentAdmin']> };

/**
 * Connects lazily and again after a failure: librdkafka's connect() waits up to 30 s for a broker,
 * and a collector must still start (and answer 503, and report not ready) while the broker is down.
 */
export async function createConfluentProducer(
  config: KafkaConfig,
  settings: ProducerSettings,
  logger: Logger,
): Promise<BrokerProducer> {
  const kafka = new KafkaJS.Kafka({ kafkaJS: connectionConfig(config, logger) });
  let current: Promise<Connected> | undefined;
  let ready: Connected | undefined;
  let closed = false;

  async function open(): Promise<Connected> {
    const producer = kafka.producer({
      kafkaJS: { acks: -1, idempotent: true, compression: KafkaJS.CompressionTypes.LZ4 },
      'linger.ms': settings.lingerMs ?? 5,
      'socket.nagle.disable': true,
      'message.timeout.ms': settings.deliveryTimeoutMs,
    });
    try {
      await producer.connect();
      const admin = producer.dependentAdmin();
      await admin.connect();
      return { producer, admin };
    } catch (error) {
      await producer.disconnect().catch(() => {});
      throw error;
    }
  }

  async function disconnect({ producer, admin }: Connected): Promise<void> {
    await producer.flush({ timeout: settings.deliveryTimeoutMs }).catch(() => {});
    await admin.disconnect().catch(() => {});
    await producer.disconnect();
  }

  function connection(waitMs = settings.deliveryTimeoutMs): Promise<Connected> {
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

  return {
    async produce(topic: string, messages: readonly OutgoingMessage[]) {
      const { producer } = await connection();
      try {
        await producer.send({
          topic,
          messages: messages.map((m) => ({ key: m.key, value: Buffer.from(m.value), headers: m.headers })),
        });
      } catch (error) {
        throw toPortError(error, `produce to ${topic}`);
      }
    },
    async health(): Promise<BrokerHealth> {
      try {
        return await probeBroker((await connection(HEALTH_WAIT_MS)).admin, HEALTH_WAIT_MS);
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
