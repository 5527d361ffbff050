import type { TopicSpec } from '../../shared/broker-port.ts';
import type { KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { connectionConfig, KafkaJS } from './client.ts';
import { toPortError } from './errors.ts';

export async function ensureConfluentTopics(config: KafkaConfig, specs: readonly TopicSpec[], logger: Logger) {
  const admin = new KafkaJS.Kafka({ kafkaJS: connectionConfig(config, logger) }).admin();
  try {
    await admin.connect();
    // createTopics leaves existing topics alone ("already exists" is not an error to it).
    await admin.createTopics({
      timeout: 10_000,
      topics: specs.map((s) => ({ topic: s.name, numPartitions: s.partitions, replicationFactor: s.replicationFactor })),
    });
  } catch (error) {
    throw toPortError(error, `create topics ${specs.map((s) => s.name).join(', ')}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
