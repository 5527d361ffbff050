import type { Broker, ProducerSettings } from '../../shared/broker-port.ts';
import type { KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { ensurePlatformaticTopics } from './admin.ts';
import { createPlatformaticConsumer } from './consumer.ts';
import { createPlatformaticProducer } from './producer.ts';

/** The broker port on @platformatic/kafka: pure JavaScript, so it runs on Node and on Deno. */
export function platformaticBroker(config: KafkaConfig, producer: ProducerSettings, logger: Logger): Broker {
  return {
    createProducer: () => createPlatformaticProducer(config, producer, logger),
    createConsumer: (options) => createPlatformaticConsumer(config, options, logger),
    ensureTopics: (specs) => ensurePlatformaticTopics(config, specs, logger),
  };
}
