import type { Broker, TopicSpec } from '../../shared/broker-port.ts';
import { isRetriable } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { backoffDelay } from './backoff.ts';
import { sleep } from '../../shared/wait.ts';

/**
 * Creates the topics, retrying with capped backoff while the broker is unreachable, so a function
 * started before its broker waits for it instead of crashing. A fatal refusal (say, not authorised) throws.
 */
export async function ensureTopicsEventually(
  broker: Broker,
  specs: readonly TopicSpec[],
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await broker.ensureTopics(specs);
      if (attempt > 0) logger.info({ topics: specs.map((s) => s.name) }, 'topics ready');
      return;
    } catch (error) {
      if (!isRetriable(error)) throw error;
      const delay = backoffDelay(attempt);
      logger.warn({ err: error.message, delayMs: delay }, 'cannot create topics yet, retrying');
      await sleep(delay, signal);
    }
  }
}
