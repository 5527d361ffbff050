import { Hono } from 'hono';
import { type Logger, silentLogger } from '../../shared/logger.ts';
import { errorHandler } from '../lib/errors.ts';
import { type ConsumerMetrics, createConsumerMetrics, mountMetrics } from '../lib/metrics.ts';
import { type Checks, mountHealth } from '../lib/readiness.ts';

export interface ConsumerAppDeps {
  /** Readiness checks, typically `broker` and `database`. */
  readonly checks: Checks;
  /** The ledger served on `GET /metrics`; a fresh one when not given. */
  readonly metrics?: ConsumerMetrics;
  readonly logger?: Logger;
}

/** The consumer's HTTP face: health and readiness for an orchestrator, metrics for Prometheus. */
export function createApp(deps: ConsumerAppDeps): Hono {
  const app = new Hono();
  app.onError(errorHandler(deps.logger ?? silentLogger));
  mountHealth(app, deps.checks);
  mountMetrics(app, (deps.metrics ?? createConsumerMetrics()).registry);
  return app;
}
