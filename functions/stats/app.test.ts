import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCarts } from '../../db/insert-carts.ts';
import { insertEvents } from '../../db/insert-events.ts';
import type { CartEvent } from '../../shared/cart-event.ts';
import { utcTimestampMicros } from '../../shared/clock.ts';
import { freshDatabase, type FreshDatabase } from '../../test/fresh-database.ts';
import { trackedMessage } from '../../test/tracked-events.ts';
import { createCollectorMetrics } from '../lib/metrics.ts';
import { createApp } from './app.ts';

let database: FreshDatabase;
beforeAll(async () => {
  database = await freshDatabase('stats');
});
afterAll(() => database?.drop());

const now = () => utcTimestampMicros(Date.now() - 1000);

function cart(overrides: Partial<CartEvent> = {}): CartEvent {
  return {
    type: 'add_to_cart',
    eventId: crypto.randomUUID(),
    createdAt: now(),
    username: 'ana',
    category: null,
    gender: null,
    style: null,
    size: null,
    hexColor: null,
    ...overrides,
  };
}

/** A session's events: a view, then optionally an option change, then optionally a cart click. */
function session(steps: ('view' | 'option' | 'cart')[], option = { option: 'size', value: 'M' }) {
  const sessionId = crypto.randomUUID();
  return steps.map((step, seq) =>
    trackedMessage({
      sessionId,
      seq,
      occurredAt: now(),
      receivedAt: now(),
      ...(step === 'view'
        ? { type: 'page_view', properties: { title: 'shop' } }
        : step === 'option'
          ? { type: 'option_selected', properties: option }
          : { type: 'add_to_cart', properties: { category: 'Hat', gender: null, style: null, size: 'M', hexColor: null } }),
    } as never),
  );
}

async function land(events: ReturnType<typeof trackedMessage>[]) {
  await insertEvents(database.db, events.map((event, i) => ({ event, partition: 0, offset: String(i) })));
}

/** Reads server-sent events from a response until `done` says enough (or the time is up). */
async function readSse(response: Response, done: (events: { event: string; data: string }[]) => boolean, timeoutMs = 5000) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: string }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (!done(events) && Date.now() < deadline) {
    const { value, done: ended } = await Promise.race([
      reader.read(),
      new Promise<{ value: undefined; done: true }>((resolve) => setTimeout(() => resolve({ value: undefined, done: true }), deadline - Date.now())),
    ]);
    if (ended) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join('\n');
      if (event) events.push({ event, data });
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

describe('the stats function on a real Postgres', () => {
  it('summarises events per minute, the funnel by session, top products and options, and the latest carts', async () => {
    await land([
      ...session(['view', 'option', 'cart']),
      ...session(['view', 'option'], { option: 'category', value: 'Hoodie' }),
      ...session(['view']),
      ...session(['view', 'option', 'cart'], { option: 'category', value: 'Hoodie' }),
    ]);
    const carts = [cart({ category: 'Hoodie' }), cart({ category: 'Hoodie', username: 'bo' }), cart({ category: 'Hat' }), cart()];
    await insertCarts(database.db, carts.map((event, i) => ({ event, partition: 0, offset: String(i) })));

    const app = createApp({ db: database.db });
    const res = await app.request('/api/stats/summary');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const summary = (await res.json()) as Record<string, any>;
    expect(summary.funnel).toEqual({ viewed: 4, selected: 3, carted: 2 });
    expect(summary.totals).toMatchObject({ events: 9, sessions: 4, visitors: 1, carts: 4 });
    expect(summary.topProducts).toEqual([
      { product: 'Hoodie', count: 2 },
      { product: 'Hat', count: 1 },
    ]);
    expect(summary.topOptions).toEqual([
      { option: 'category', value: 'Hoodie', count: 2 },
      { option: 'size', value: 'M', count: 1 },
    ]);
    expect(summary.perMinute).toHaveLength(30);
    expect(summary.perMinute.reduce((n: number, m: { events: number }) => n + m.events, 0)).toBe(9);
    expect(summary.latestCarts.map((c: { eventId: string }) => c.eventId).sort()).toEqual(carts.map((c) => c.eventId).sort());
  });

  it("reads the pipeline's counters from /metrics sources and says which cannot be read", async () => {
    const metrics = createCollectorMetrics();
    metrics.received.inc(5);
    metrics.acknowledged.inc(4);
    metrics.rejected.inc({ reason: 'invalid' });
    metrics.trackerDropped.inc(2);
    const app = createApp({
      db: database.db,
      metricsSources: [
        { name: 'collector', read: () => metrics.registry.metrics() },
        { name: 'consumer', read: () => Promise.reject(new Error('connection refused')) },
      ],
    });
    const pipeline = (await (await app.request('/api/stats/pipeline')).json()) as Record<string, any>;
    expect(pipeline.sources).toEqual([
      { name: 'collector', ok: true },
      { name: 'consumer', ok: false, error: 'connection refused' },
    ]);
    expect(pipeline.carts).toMatchObject({ received: 5, acknowledged: 4, rejected: 1, inserted: null, rows: 4 });
    expect(pipeline.tracked).toMatchObject({ droppedInBrowsers: 2, rows: 9 });
  });

  it('streams the newest rows, then each new row as it is stored, as server-sent events', async () => {
    const shutdown = new AbortController();
    const app = createApp({ db: database.db, pollMs: 100, signal: shutdown.signal });
    const first = await app.request('/api/stats/feed');
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const backlog = await readSse(first, (events) => events.filter((e) => e.event === 'cart').length >= 4);
    expect(backlog[0]!.event).toBe('hello');
    expect(backlog.filter((e) => e.event === 'tracked')).toHaveLength(9);

    const second = await app.request('/api/stats/feed');
    const fresh = cart({ username: 'latecomer', category: 'Shoes' });
    const late = trackedMessage({ type: 'add_to_cart', eventId: fresh.eventId, properties: { category: 'Shoes', gender: null, style: null, size: null, hexColor: null } } as never);
    setTimeout(() => {
      void insertCarts(database.db, [{ event: fresh, partition: 0, offset: '99' }]);
      void land([late]);
    }, 400);
    const events = await readSse(second, (list) => list.some((e) => e.event === 'cart' && e.data.includes('latecomer')) && list.some((e) => e.event === 'tracked' && e.data.includes(late.eventId)));
    const lateCart = events.filter((e) => e.event === 'cart' && e.data.includes(fresh.eventId));
    expect(lateCart).toHaveLength(1);
    expect(JSON.parse(lateCart[0]!.data)).toMatchObject({ eventId: fresh.eventId, username: 'latecomer', category: 'Shoes' });
    expect(events.filter((e) => e.event === 'tracked' && e.data.includes(late.eventId))).toHaveLength(1);
    shutdown.abort();
  });
});
