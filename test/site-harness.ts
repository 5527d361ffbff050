import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import postgres from 'postgres';
import { openDatabase } from '../db/client.ts';
import { createApp as createCollectorApp } from '../functions/collector/app.ts';
import { type ConsumerService, startConsumerService } from '../functions/consumer/service.ts';
import { createCollectorMetrics } from '../functions/lib/metrics.ts';
import { nodeClientAddress } from '../functions/lib/node-process.ts';
import { createApp as createShopApp } from '../functions/shop/app.ts';
import { createNodeAssets } from '../functions/shop/node-assets.ts';
import { createApp as createStatsApp } from '../functions/stats/app.ts';
import type { BrokerProducer } from '../shared/broker-port.ts';
import { silentLogger } from '../shared/logger.ts';
import type { FreshDatabase } from './fresh-database.ts';
import { startPipelineParts } from './pipeline-harness.ts';

/** How `POST /api/events` behaves in front of the real collector: passed through, refused, or held. */
export type EventsGate = { mode: 'open' } | { mode: 'down' } | { mode: 'slow'; delayMs: number };

export interface Site {
  /** Shop, dashboard, collector and stats on one socket, as one origin. */
  readonly url: string;
  readonly database: FreshDatabase;
  readonly consumer: ConsumerService;
  readonly producer: BrokerProducer;
  /** Set to make the events endpoint unavailable (503, Retry-After: 1) or slow. */
  gate: EventsGate;
  /** Requests to /api/events that reached the gate, and those it let through to the collector. */
  readonly eventsRequests: { arrived: number; passed: number };
  /** Rows of `events`: event_id, type, anonymous_id, session_id, seq. */
  eventRows(where?: { anonymousId?: string }): Promise<Record<string, unknown>[]>;
  /** Rows of clickstream_data with this event id. */
  cartRows(eventId: string): Promise<Record<string, unknown>[]>;
  /** Polls `probe` until it returns a truthy value; rejects with `what` after `timeoutMs`. */
  waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/**
 * The whole pipeline for browser tests: a real broker, a fresh real Postgres, the collector, the
 * shop (page and dashboard) and the stats function on one HTTP server, the consumer in-process.
 */
export async function startSite(label: string): Promise<Site> {
  const { database, consumerConfig, broker, producer, topics } = await startPipelineParts(label);
  const collectorMetrics = createCollectorMetrics();
  const collector = createCollectorApp({
    producer,
    topics,
    produceTimeoutMs: 11_000,
    metrics: collectorMetrics,
    clientAddress: nodeClientAddress(false),
  });
  const consumer = await startConsumerService({
    broker,
    database: openDatabase(database.url),
    config: consumerConfig,
    logger: silentLogger,
  });
  const statsDatabase = openDatabase(database.url, { poolSize: 2 });
  const feeds = new AbortController();
  const stats = createStatsApp({
    db: statsDatabase.db,
    metricsSources: [
      { name: 'collector', read: () => collectorMetrics.registry.metrics() },
      { name: 'consumer', read: () => consumer.metrics.registry.metrics() },
    ],
    signal: feeds.signal,
  });

  const eventsRequests = { arrived: 0, passed: 0 };
  const site: Site = {
    url: '',
    database,
    consumer,
    producer,
    gate: { mode: 'open' },
    eventsRequests,
    eventRows: async () => [],
    cartRows: async () => [],
    waitFor: async () => undefined as never,
    close: async () => {},
  };
  const app = new Hono();
  app.use('/api/events', async (c, next) => {
    eventsRequests.arrived++;
    const gate = site.gate;
    if (gate.mode === 'down') {
      return c.json({ error: 'service unavailable, try again shortly' }, 503, { 'Retry-After': '1' });
    }
    if (gate.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, gate.delayMs));
    eventsRequests.passed++;
    await next();
  });
  app.route('/', createShopApp({ assets: createNodeAssets() })).route('/', collector).route('/', stats);
  const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = postgres(database.url, { max: 1, onnotice: () => {} });

  return Object.assign(site, {
    url,
    async eventRows(where: { anonymousId?: string } = {}) {
      return where.anonymousId
        ? raw`select event_id, type, anonymous_id, session_id, seq, username, properties from events
              where anonymous_id = ${where.anonymousId} order by session_id, seq`
        : raw`select event_id, type, anonymous_id, session_id, seq, username, properties from events order by session_id, seq`;
    },
    async cartRows(eventId: string) {
      return raw`select * from clickstream_data where event_id = ${eventId}`;
    },
    async waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      feeds.abort();
      (server as Server).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await consumer.stop();
      await producer.close();
      await statsDatabase.close();
      await raw.end();
      await database.drop();
    },
  });
}
