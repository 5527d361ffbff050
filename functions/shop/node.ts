import { serve } from '@hono/node-server';
import { configOrExit, createLogger, onShutdown } from '../lib/node-process.ts';
import { createApp } from './app.ts';
import { createNodeAssets } from './node-assets.ts';
import { portFrom } from './port.ts';

const port = configOrExit((env) => portFrom(env.PORT));
const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'shop');
const app = createApp({ assets: createNodeAssets(), logger });
const server = serve({ fetch: app.fetch, port }, (info) =>
  logger.info({ port: info.port }, `shop listening on http://localhost:${info.port}`),
);
onShutdown(logger, () => new Promise<void>((resolve) => server.close(() => resolve())));
