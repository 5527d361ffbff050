import type { Broker } from '../shared/broker-port.ts';
import type { KafkaConfig } from '../shared/config.ts';
import { ConfigError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { ProducerSettings } from './confluent/producer.ts';

/** The adapter a Node entry uses: librdkafka (@confluentinc/kafka-javascript). */
export async function nodeBroker(config: KafkaConfig, producer: ProducerSettings, logger: Logger): Promise<Broker> {
  const client = config.client ?? 'confluent';
  if (client !== 'confluent') throw new ConfigError(`KAFKA_CLIENT: ${client} is not available on Node yet`);
  const { confluentBroker } = await import('./confluent/index.ts');
  return confluentBroker(config, producer, logger);
}
