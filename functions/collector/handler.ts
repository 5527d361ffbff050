/**
 * The collector for hosts that call a web-standard `fetch(request)` (serverless Node hosts):
 * `export default { fetch }`. The service (topics, producer) starts on the first request, from
 * process.env, and is kept for the next ones; a failed start is retried by the next request.
 */
import process from 'node:process';
import { nodeBroker } from '../../broker/for-node.ts';
import { parseCollectorConfig, producerSettingsOf } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';
import { clientKeyOf } from '../lib/client-key.ts';
import { createLogger } from '../lib/node-process.ts';
import { type CollectorService, startCollectorService } from './service.ts';

let starting: Promise<CollectorService> | undefined;

function collector(): Promise<CollectorService> {
  if (!starting) {
    starting = (async () => {
      const config = parseCollectorConfig(process.env);
      const logger = createLogger(config.logLevel, 'collector');
      const broker = await nodeBroker(config.kafka, producerSettingsOf(config), logger);
      return startCollectorService({
        broker,
        config,
        logger,
        // A host hides the socket; only a proxy's X-Forwarded-For can tell clients apart here.
        clientKey: config.trustProxy ? (c) => clientKeyOf(undefined, c.req.header('x-forwarded-for'), true) : undefined,
      });
    })();
    starting.catch(() => (starting = undefined));
  }
  return starting;
}

export default {
  async fetch(request: Request): Promise<Response> {
    let service: CollectorService;
    try {
      service = await collector();
    } catch (error) {
      console.error(JSON.stringify({ level: 50, name: 'collector', msg: 'collector failed to start', err: (error as Error).message }));
      if (error instanceof ConfigError) return Response.json({ error: 'collector misconfigured' }, { status: 500 });
      return Response.json(
        { error: 'service unavailable, try again shortly', reason: (error as Error).message },
        { status: 503, headers: { 'retry-after': '1' } },
      );
    }
    return service.app.fetch(request);
  },
};
