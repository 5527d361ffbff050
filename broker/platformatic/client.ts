import type { BaseOptions, SASLMechanismValue } from '@platformatic/kafka';
import type { KafkaConfig, SaslSettings } from '../../shared/config.ts';

const MECHANISMS: Record<SaslSettings['mechanism'], SASLMechanismValue> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
};

/** Settings every client shares: brokers, client id, TLS (SNI from the broker's host name) and SASL. */
export function connectionOptions(config: KafkaConfig): BaseOptions {
  return {
    clientId: config.clientId,
    bootstrapBrokers: [...config.brokers],
    connectTimeout: 5000,
    ...(config.ssl ? { tls: {}, tlsServerName: true } : {}),
    ...(config.sasl
      ? {
          sasl: {
            mechanism: MECHANISMS[config.sasl.mechanism],
            username: config.sasl.username,
            password: config.sasl.password,
          },
        }
      : {}),
  };
}

interface Closable {
  close(force: boolean, callback: (error?: Error | null) => void): void;
}

/** Closes a client with force (streams included, retries cancelled); the typings only offer the callback form for it. */
export function closeForcefully(client: Closable): Promise<void> {
  return new Promise((resolve, reject) => client.close(true, (error) => (error ? reject(error) : resolve())));
}
