import type { Broker, ProducerSettings } from '../../shared/broker-port.ts';
import type { KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { ensureConfluentTopics } from './admin.ts';
import { createConfluentConsumer } from './consumer.ts';
import { createConfluentProducer } from './producer.ts';

/** The broker port on librdkafka (@confluentinc/kafka-javascript): Node only. */
export function confluentBroker(config: KafkaConfig, producer: ProducerSettings, logger: Logger): Broker {
  return {
    createProducer: () => createConfluentProducer(config, producer, logger),
    createConsumer: (options) => createConfluentConsumer(config, options, logger),
    ensureTopics: (specs) => ensureConfluentTopics(config, specs, logger),
  };
}
