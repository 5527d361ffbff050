import type { Broker, ProducerSettings } from '../shared/broker-port.ts';
import type { KafkaConfig } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * The adapter a Node entry uses: librdkafka (@confluentinc/kafka-javascript) unless
 * KAFKA_CLIENT=platformatic picks the pure-JS client. Each is imported only when chosen, so the
 * native addon is not loaded when it is not used.
 */
export async function nodeBroker(config: KafkaConfig, producer: ProducerSettings, logger: Logger): Promise<Broker> {
  if (config.client === 'platformatic') {
    const { platformaticBroker } = await import('./platformatic/index.ts');
    return platformaticBroker(config, producer, logger);
  }
  const { confluentBroker } = await import('./confluent/index.ts');
  return confluentBroker(config, producer, logger);
}
