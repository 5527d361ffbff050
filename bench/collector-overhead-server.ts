/**
 * A server for bench/collector-overhead.ts: `hono` (a bare hono route on @hono/node-server that
 * parses the JSON and answers 202), `collector` (the collector app as the Node entry serves it,
 * metrics and security headers included, with a producer that acknowledges at once) or
 * `collector-delayed` (the same, acknowledging after ACK_DELAY_MS, default 7), as VARIANT says;
 * PORT from env too.
 */
import { Hono } from 'hono';
import { createApp } from '../functions/collector/app.ts';
import { createCollectorMetrics } from '../functions/lib/metrics.ts';
import { nodeClientAddress, nodeClientKey, serveHardened } from '../functions/lib/node-process.ts';
import type { BrokerProducer } from '../shared/broker-port.ts';
import { topicsFor } from '../shared/topics.ts';

const port = Number(process.env.PORT);
const variant = process.env.VARIANT;
let app: Hono;
if (variant === 'hono') {
  app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.post('/api/cart', async (c) => {
    const body = (await c.req.json()) as { username?: unknown };
    return c.json({ accepted: true, user: typeof body.username }, 202);
  });
} else if (variant === 'collector' || variant === 'collector-delayed') {
  // collector-delayed: a broker that costs nothing but answers after ACK_DELAY_MS, like acks=all.
  const delayMs = Number(process.env.ACK_DELAY_MS ?? 7);
  const producer: BrokerProducer = {
    produce: variant === 'collector' ? async () => {} : () => new Promise<void>((resolve) => setTimeout(resolve, delayMs)),
    health: async () => ({ ok: true }),
    close: async () => {},
  };
  app = createApp({
    producer,
    topics: topicsFor('collector-overhead'),
    produceTimeoutMs: 10_000,
    metrics: createCollectorMetrics({ processMetrics: true }),
    clientKey: nodeClientKey(false),
    clientAddress: nodeClientAddress(false),
  });
} else {
  throw new Error(`unknown variant ${variant}: hono or collector`);
}
const server = serveHardened({ fetch: app.fetch, port, hostname: '127.0.0.1' });
process.on('SIGTERM', () => server.close(() => process.exit(0)));
