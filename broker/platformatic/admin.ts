import { Admin } from '@platformatic/kafka';
import type { TopicSpec } from '../../shared/broker-port.ts';
import type { KafkaConfig } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { connectionOptions } from './client.ts';
import { toPortError } from './errors.ts';

/** How long ensureTopics waits for new topics to have a leader on every partition. */
const LEADERS_TIMEOUT_MS = 15_000;

interface FindableError {
  findBy?(property: string, value: unknown): unknown;
}

function alreadyExists(error: unknown): boolean {
  return Boolean((error as FindableError)?.findBy?.('apiId', 'TOPIC_ALREADY_EXISTS'));
}

/** Resolves once every partition of `topics` has a leader, so producing right away does not miss them. */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    try {
      const metadata = await admin.metadata({ topics, forceUpdate: true });
      const ready = topics.every((name) => {
        const topic = metadata.topics.get(name);
        return topic && topic.partitions.length === topic.partitionsCount && topic.partitions.every((p) => p && p.leader >= 0);
      });
      if (ready) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after ${LEADERS_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates the topics that do not exist yet; existing ones, whatever their settings, are left alone. */
export async function ensurePlatformaticTopics(config: KafkaConfig, specs: readonly TopicSpec[], logger: Logger): Promise<void> {
  const admin = new Admin({ ...connectionOptions(config), timeout: 10_000, retries: 3, retryDelay: 500 });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    for (const spec of missing) {
      try {
        await admin.createTopics({ topics: [spec.name], partitions: spec.partitions, replicas: spec.replicationFactor });
        logger.info({ topic: spec.name, partitions: spec.partitions }, 'topic created');
      } catch (error) {
        // Another process created it between our listing and our request.
        if (!alreadyExists(error)) throw error;
      }
    }
    if (missing.length > 0) await waitForLeaders(admin, missing.map((s) => s.name));
  } catch (error) {
    throw toPortError(error, `create topics ${specs.map((s) => s.name).join(', ')}`);
  } finally {
    await admin.close().catch(() => {});
  }
}
