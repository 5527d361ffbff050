import type { BrokerHealth, BrokerProducer, OutgoingMessage, ProducerSettings } from '../../shared/broker-port.ts';
import type { KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { connectionConfig, KafkaJS } from './client.ts';
import { toPortError } from './errors.ts';
import { probeBroker } from './health.ts';

export async function createConfluentProducer(
  config: KafkaConfig,
  settings: ProducerSettings,
  logger: Logger,
): Promise<BrokerProducer> {
  const kafka = new KafkaJS.Kafka({ kafkaJS: connectionConfig(config, logger) });
  const producer = kafka.producer({
    kafkaJS: { acks: -1, idempotent: true, compression: KafkaJS.CompressionTypes.LZ4 },
    'linger.ms': settings.lingerMs ?? 5,
    'message.timeout.ms': settings.deliveryTimeoutMs,
  });
  await producer.connect();
  const admin = producer.dependentAdmin();
  await admin.connect();

  return {
    async produce(topic: string, messages: readonly OutgoingMessage[]) {
      try {
        await producer.send({
          topic,
          messages: messages.map((m) => ({ key: m.key, value: Buffer.from(m.value), headers: m.headers })),
        });
      } catch (error) {
        throw toPortError(error, `produce to ${topic}`);
      }
    },
    health: (): Promise<BrokerHealth> => probeBroker(admin),
    async close() {
      await producer.flush({ timeout: settings.deliveryTimeoutMs }).catch(() => {});
      await admin.disconnect().catch(() => {});
      await producer.disconnect();
    },
  };
}
