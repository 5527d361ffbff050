import type { Broker, ProducerSettings } from '../shared/broker-port.ts';
import type { KafkaConfig } from '../shared/config.ts';
import { ConfigError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { platformaticBroker } from './platformatic/index.ts';

/**
 * The adapter a Deno entry uses: always @platformatic/kafka. librdkafka's binding is a NAN addon,
 * which Deno cannot load, so KAFKA_CLIENT=confluent is refused rather than ignored.
 */
export function denoBroker(config: KafkaConfig, producer: ProducerSettings, logger: Logger): Broker {
  if (config.client === 'confluent') {
    throw new ConfigError(
      'Invalid configuration:\n  KAFKA_CLIENT: confluent is not available on Deno (its librdkafka binding is a native Node addon); ' +
        'unset it or set KAFKA_CLIENT=platformatic',
    );
  }
  return platformaticBroker(config, producer, logger);
}
