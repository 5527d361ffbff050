import type rdkafka from '@confluentinc/kafka-javascript';
import type { BrokerHealth } from '../../shared/broker-port.ts';

export const HEALTH_WAIT_MS = 2000;

type MetadataClient = Pick<InstanceType<typeof rdkafka.Producer> | InstanceType<typeof rdkafka.KafkaConsumer>, 'getMetadata'>;

/** A librdkafka client (producer or consumer) is healthy when the broker answers a metadata request within two seconds. */
export function probeMetadata(client: MetadataClient): Promise<BrokerHealth> {
  return new Promise((resolve) =>
    client.getMetadata({ timeout: HEALTH_WAIT_MS }, (error) => resolve(error ? { ok: false, detail: error.message } : { ok: true })),
  );
}
