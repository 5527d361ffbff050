import type { Hono } from 'hono';
import type { Broker } from '../../shared/broker-port.ts';
import type { CollectorConfig } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { topicSpecs, topicsFor } from '../../shared/topics.ts';
import type { ClientAddress, ClientKey } from '../lib/client-key.ts';
import { type CollectorMetrics, createCollectorMetrics } from '../lib/metrics.ts';
import { createApp } from './app.ts';
import { ensureTopicsEventually } from '../lib/ensure-topics.ts';

export interface CollectorService {
  readonly app: Hono;
  readonly metrics: CollectorMetrics;
  /** Flushes the producer and disconnects. */
  stop(): Promise<void>;
}

/** Creates the topics and a producer, and wires the collector app; shared by the Node and Deno entries. */
export async function startCollectorService(deps: {
  readonly broker: Broker;
  readonly config: CollectorConfig;
  readonly logger: Logger;
  /** The entry's own registry (say, with process metrics); a fresh one otherwise. */
  readonly metrics?: CollectorMetrics;
  /** How the runtime tells clients apart (socket address, or X-Forwarded-For behind a trusted proxy). */
  readonly clientKey?: ClientKey;
  /** The client's address for tracked events (kept truncated); unknown when not given. */
  readonly clientAddress?: ClientAddress;
}): Promise<CollectorService> {
  const { broker, config, logger } = deps;
  for (const [name, limit] of [['RATE_LIMIT_PER_MINUTE', config.rateLimitPerMinute], ['EVENTS_RATE_LIMIT_PER_MINUTE', config.eventsRateLimitPerMinute]] as const) {
    if (limit > 0 && !deps.clientKey) {
      throw new ConfigError(`Invalid configuration:\n  ${name}: this entry cannot tell clients apart, so it cannot rate limit`);
    }
  }
  const metrics = deps.metrics ?? createCollectorMetrics();
  // The collector starts without its broker (answering 503 and not ready) and creates the topics once it is there.
  const topicsReady = new AbortController();
  ensureTopicsEventually(broker, topicSpecs(config.kafka), logger, topicsReady.signal).catch((error: Error) => {
    if (!topicsReady.signal.aborted) logger.error({ err: error.message }, 'cannot create topics');
  });
  const producer = await broker.createProducer();
  const app = createApp({
    producer,
    topics: topicsFor(config.kafka.topic),
    // The client gives up at produceTimeoutMs, so a 503 never leaves a message behind that is written later;
    // this deadline is only the backstop.
    produceTimeoutMs: config.produceTimeoutMs + 1000,
    corsOrigins: config.corsOrigins,
    rateLimitPerMinute: config.rateLimitPerMinute,
    eventsRateLimitPerMinute: config.eventsRateLimitPerMinute,
    clientKey: deps.clientKey,
    clientAddress: deps.clientAddress,
    metrics,
    logger,
  });
  return {
    app,
    metrics,
    stop: async () => {
      topicsReady.abort();
      await producer.close();
    },
  };
}
