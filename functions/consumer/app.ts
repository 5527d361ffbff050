import { Hono } from 'hono';
import { type Logger, silentLogger } from '../../shared/logger.ts';
import { errorHandler } from '../lib/errors.ts';
import { type Checks, mountHealth } from '../lib/readiness.ts';

export interface ConsumerAppDeps {
  /** Readiness checks, typically `broker` and `database`. */
  readonly checks: Checks;
  readonly logger?: Logger;
}

/** The consumer's HTTP face: health and readiness for an orchestrator. */
export function createApp(deps: ConsumerAppDeps): Hono {
  const app = new Hono();
  app.onError(errorHandler(deps.logger ?? silentLogger));
  mountHealth(app, deps.checks);
  return app;
}
