import rdkafka from '@confluentinc/kafka-javascript';
import type { KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';

export const { KafkaJS } = rdkafka;

/** Common connection settings: brokers, TLS, SASL, and our logger in place of console output. */
export function connectionConfig(config: KafkaConfig, logger: Logger) {
  return {
    brokers: [...config.brokers],
    clientId: config.clientId,
    ssl: config.ssl,
    ...(config.sasl ? { sasl: { ...config.sasl } } : {}),
    logLevel: KafkaJS.logLevel.WARN,
    logger: {
      info: () => {},
      debug: () => {},
      warn: (message: string, extra?: object) => logger.warn({ ...extra, kafka: true }, message),
      error: (message: string, extra?: object) => logger.error({ ...extra, kafka: true }, message),
      namespace() {
        return this;
      },
      setLogLevel: () => {},
    },
  };
}

/** The same connection as librdkafka properties, for the lower-level (non-KafkaJS) API. */
export function librdkafkaConnection(config: KafkaConfig): Record<string, string> {
  const protocol = config.sasl ? (config.ssl ? 'sasl_ssl' : 'sasl_plaintext') : config.ssl ? 'ssl' : 'plaintext';
  return {
    'bootstrap.servers': config.brokers.join(','),
    'client.id': config.clientId,
    'security.protocol': protocol,
    ...(config.sasl
      ? { 'sasl.mechanism': config.sasl.mechanism.toUpperCase(), 'sasl.username': config.sasl.username, 'sasl.password': config.sasl.password }
      : {}),
  };
}
