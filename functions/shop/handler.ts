/**
 * The shop for hosts that call a web-standard `fetch(request)` (serverless Node hosts):
 * `export default { fetch }`, the app built on the first request. In the dist/shop.mjs bundle the
 * files come embedded in the bundle (scripts/build.ts), so the bundle needs no web/ directory.
 */
import process from 'node:process';
import type { Hono } from 'hono';
import { createLogger } from '../lib/node-process.ts';
import { createApp } from './app.ts';
import { createNodeAssets } from './node-assets.ts';

let app: Hono | undefined;

export default {
  fetch(request: Request): Response | Promise<Response> {
    app ??= createApp({ assets: createNodeAssets(), logger: createLogger(process.env.LOG_LEVEL ?? 'info', 'shop') });
    return app.fetch(request);
  },
};
