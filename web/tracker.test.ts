import { describe, expect, it } from 'vitest';
import { createApp as createCollectorApp } from '../functions/collector/app.ts';
import { FakeProducer } from '../functions/lib/fake-producer.ts';
import { createCollectorMetrics } from '../functions/lib/metrics.ts';
import { trackedEventMessageSchema, trackedEventSchema } from '../shared/tracked-event.ts';
import { topicsFor } from '../shared/topics.ts';
import { backoffDelay, createTracker, retryAfterMs, type TrackerOptions, uuidv7 } from './tracker.js';

/** localStorage with an optional quota in characters, as browsers count it. */
class FakeStorage {
  readonly map = new Map<string, string>();
  readonly quota: number;
  constructor(quota = Infinity) {
    this.quota = quota;
  }
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    const used = [...this.map].reduce((n, [k, v]) => n + (k === key ? 0 : k.length + v.length), 0);
    if (used + key.length + value.length > this.quota) throw new DOMException('quota', 'QuotaExceededError');
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
  json(key: string) {
    return JSON.parse(this.map.get(`cs.${key}`) ?? 'null');
  }
}

/** A clock whose timers run only when the test advances it. */
class FakeClock {
  t = Date.parse('2026-11-28T10:00:00.000Z');
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private nextId = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((timer) => timer.id !== id);
  };
  /** Moves time forward, running due timers in order and letting their promises settle. */
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
    await settle();
  }
}

async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

type FakeWindow = EventTarget & {
  location: { href: string };
  document: EventTarget & { referrer: string; visibilityState: string; title: string };
  innerWidth: number;
  innerHeight: number;
};

function fakeWindow(href = 'https://shop.example/?utm_source=news&utm_campaign=spring'): FakeWindow {
  const target = new EventTarget();
  const document = Object.assign(new EventTarget(), { referrer: 'https://search.example/', visibilityState: 'visible', title: 'shop' });
  return Object.assign(target, { location: { href }, document, innerWidth: 1280, innerHeight: 720 });
}

interface Sent {
  body: { events: Record<string, unknown>[]; dropped?: number };
  keepalive: boolean;
  bytes: number;
}

/** A tracker wired to a real collector app (fake broker) through app.request, with everything else faked. */
function setup(options: Partial<TrackerOptions> & { window?: FakeWindow; respond?: (sent: Sent) => Response | undefined } = {}) {
  const clock = new FakeClock();
  const storage = (options.storage as FakeStorage | undefined) ?? new FakeStorage();
  const producer = new FakeProducer();
  const metrics = createCollectorMetrics();
  const collector = createCollectorApp({
    producer,
    topics: topicsFor('tracker-unit'),
    produceTimeoutMs: 1000,
    metrics,
    clientAddress: () => '203.0.113.77',
  });
  const sent: Sent[] = [];
  const navigator: { onLine: boolean; sendBeacon: () => boolean; locks?: unknown } = { onLine: true, sendBeacon: () => false };
  const window = options.window ?? fakeWindow();
  const tracker = createTracker({
    storage,
    now: clock.now,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    random: () => 0.5,
    window,
    navigator,
    fetch: async (url, init) => {
      const text = String(init.body);
      const entry: Sent = { body: JSON.parse(text), keepalive: init.keepalive === true, bytes: new TextEncoder().encode(text).length };
      sent.push(entry);
      const canned = options.respond?.(entry);
      if (canned) return canned;
      return collector.request(url, { method: 'POST', headers: init.headers, body: text });
    },
    ...options,
  });
  const produced = () => producer.values();
  return { clock, storage, tracker, sent, produced, navigator, window, metrics, collector };
}

const ids = (events: readonly Record<string, unknown>[]) => events.map((event) => event.eventId);

describe('uuidv7', () => {
  it('makes RFC 9562 version 7 ids that sort by time', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.slice(0, 13).replace('-', '')).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => uuidv7())).size).toBe(1000);
  });
});

describe('the tracker against the real collector route', () => {
  it('sends events whose every field passes the server schema, and the collector stamps them', async () => {
    const { tracker, clock, sent, produced, storage } = setup();
    tracker.start();
    tracker.track('page_view', { title: 'shop' });
    tracker.identify('  alice  ');
    tracker.track('option_selected', { option: 'size', value: 'M' });
    tracker.track('option_selected', { option: 'hexColor', value: '#AA00ff' });
    tracker.track('option_selected', { option: 'category', value: null });
    tracker.track('add_to_cart', { category: 'Hat', gender: null, style: null, size: 'M', hexColor: null });
    expect(sent).toHaveLength(0);
    await clock.advance(1000);

    expect(sent).toHaveLength(1);
    const events = sent[0]!.body.events;
    for (const event of events) {
      const parsed = trackedEventSchema.safeParse(event);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(events[0]).toMatchObject({
      type: 'page_view',
      username: null,
      url: 'https://shop.example/?utm_source=news&utm_campaign=spring',
      referrer: 'https://search.example/',
      utm: { source: 'news', medium: null, campaign: 'spring', term: null, content: null },
      viewport: { width: 1280, height: 720 },
      createdAt: '2026-11-28T10:00:00.000Z',
      sentAt: '2026-11-28T10:00:01.000Z',
    });
    expect(events[1]).toMatchObject({ username: 'alice', properties: { option: 'size', value: 'M' } });
    expect(new Set(events.map((e) => e.sessionId)).size).toBe(1);
    expect(new Set(events.map((e) => e.anonymousId))).toEqual(new Set([storage.json('anon')]));

    expect(tracker.state()).toMatchObject({ queued: 0, accepted: 5, rejected: 0, lastStatus: 202 });
    const messages = produced();
    expect(ids(messages)).toEqual(ids(events));
    for (const message of messages) expect(trackedEventMessageSchema.safeParse(message).success).toBe(true);
    expect(messages[0]).toMatchObject({ ipTruncated: '203.0.113.0' });
    // It waited 1 s on the client; the collector's event time puts it 1 s before it received it.
    const { occurredAt, receivedAt } = messages[0] as { occurredAt: string; receivedAt: string };
    expect(Date.parse(receivedAt) - Date.parse(occurredAt)).toBeCloseTo(1000, -1);
    expect(messages[2]).toMatchObject({ properties: { option: 'hexColor', value: '#aa00ff' } });
  });

  it('ignores usernames the server would refuse', () => {
    const { tracker } = setup();
    expect(tracker.identify('x'.repeat(33))).toBeNull();
    expect(tracker.identify('   ')).toBeNull();
    expect(tracker.identify('bad\u0000name')).toBeNull();
    expect(tracker.identify('ana\u202Eevil')).toBeNull();
    expect(tracker.identify('👩\u200D💻 dev')).toBe('👩\u200D💻 dev');
    expect(tracker.identify('Łukasz 🛍️')).toBe('Łukasz 🛍️');
  });

  it('flushes at once when asked to, and when a batch is full', async () => {
    const { tracker, clock, sent } = setup({ maxBatch: 3 });
    tracker.track('add_to_cart', { category: 'Hat' }, { flush: true });
    await clock.advance(0);
    expect(sent).toHaveLength(1);
    tracker.track('page_view', null);
    tracker.track('page_view', null);
    tracker.track('page_view', null);
    await clock.advance(0);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body.events).toHaveLength(3);
  });

  it('drops a refused event with its reason and keeps the good ones of the batch', async () => {
    const { tracker, clock, storage, produced } = setup();
    const good = tracker.track('page_view', { title: 'ok' });
    const bad = tracker.track('option_selected', { option: 'size', value: 'XXXL' });
    await clock.advance(1000);
    expect(ids(produced())).toEqual([good]);
    expect(tracker.state()).toMatchObject({ accepted: 1, rejected: 1, queued: 0 });
    expect(storage.json('queue')).toEqual([]);
    expect(bad).toBeTruthy();
  });
});

describe('the persistent queue', () => {
  it('keeps events across a reload until the server acknowledges them, with the same event ids', async () => {
    const storage = new FakeStorage();
    const first = setup({ storage, respond: () => new Response('down', { status: 500 }) });
    first.tracker.start();
    const a = first.tracker.track('page_view', { title: 'a' });
    const b = first.tracker.track('add_to_cart', { size: 'S' });
    await first.clock.advance(1000);
    expect(first.sent).toHaveLength(1);
    expect(storage.json('queue').map((e: { eventId: string }) => e.eventId)).toEqual([a, b]);
    first.tracker.stop(); // the page goes away

    const second = setup({ storage });
    second.tracker.start();
    await second.clock.advance(0);
    // The backoff after the 500 (1 s at attempt 0) is kept in storage, and honoured.
    expect(second.sent).toHaveLength(0);
    await second.clock.advance(2000);
    expect(ids(second.sent.flatMap((s) => s.body.events))).toEqual([a, b]);
    expect(ids(second.produced())).toEqual([a, b]);
    expect(storage.json('queue')).toEqual([]);
  });

  it('is bounded: past maxQueue the oldest are dropped, counted, and reported once with the next batch', async () => {
    const { tracker, clock, sent, navigator, window, metrics, storage } = setup({ maxQueue: 5 });
    tracker.start();
    navigator.onLine = false;
    const made = Array.from({ length: 8 }, (_, i) => tracker.track('page_view', { title: `p${i}` }));
    await clock.advance(5000);
    expect(sent).toHaveLength(0);
    expect(storage.json('queue').map((e: { eventId: string }) => e.eventId)).toEqual(made.slice(3));
    expect(tracker.state()).toMatchObject({ queued: 5, dropped: 3, unreportedDropped: 3 });

    navigator.onLine = true;
    window.dispatchEvent(new Event('online'));
    await clock.advance(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.dropped).toBe(3);
    expect(ids(sent[0]!.body.events)).toEqual(made.slice(3));
    expect(tracker.state()).toMatchObject({ queued: 0, dropped: 3, unreportedDropped: 0 });
    const text = await (await new Response(await metrics.registry.metrics())).text();
    expect(text).toMatch(/^clickstream_tracker_dropped_total 3$/m);

    tracker.track('page_view', null, { flush: true });
    await clock.advance(0);
    expect(sent[1]!.body.dropped).toBeUndefined();
  });

  it('drops the oldest when storage itself is full', () => {
    const storage = new FakeStorage(6_000);
    const { tracker } = setup({ storage, maxQueue: 1000 });
    for (let i = 0; i < 40; i++) tracker.track('page_view', { title: `page ${i}` });
    const queued = storage.json('queue') as { properties: { title: string } }[];
    expect(queued.length).toBeGreaterThan(0);
    expect(queued.length).toBeLessThan(40);
    expect(queued.at(-1)!.properties.title).toBe('page 39');
    expect(tracker.state().dropped).toBe(40 - queued.length);
  });

  it('starts a new session after 30 minutes without events, and numbers events within it', async () => {
    const { tracker, clock } = setup();
    tracker.track('page_view', null);
    tracker.track('page_view', null);
    const first = tracker.state().session!;
    expect(first.seq).toBe(2);
    await clock.advance(29 * 60 * 1000);
    tracker.track('page_view', null);
    expect(tracker.state().session!.id).toBe(first.id);
    await clock.advance(30 * 60 * 1000 + 1);
    tracker.track('page_view', null);
    expect(tracker.state().session).toMatchObject({ seq: 1 });
    expect(tracker.state().session!.id).not.toBe(first.id);
  });
});

describe('retries', () => {
  it('backs off exponentially with jitter, capped', () => {
    const policy = { initialMs: 1000, maxMs: 60_000 };
    expect(backoffDelay(0, policy, () => 0)).toBe(500);
    expect(backoffDelay(0, policy, () => 1)).toBe(1000);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(6000);
    expect(backoffDelay(20, policy, () => 1)).toBe(60_000);
    expect(backoffDelay(20, policy, () => 0)).toBe(30_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Sat, 28 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs('soon', now)).toBeNull();
  });

  it('waits out a 503 Retry-After before sending again, then delivers', async () => {
    let answer503 = true;
    const { tracker, clock, sent, produced } = setup({
      respond: () => (answer503 ? new Response('{}', { status: 503, headers: { 'retry-after': '7' } }) : undefined),
    });
    tracker.start();
    const id = tracker.track('page_view', null, { flush: true });
    await clock.advance(0);
    expect(sent).toHaveLength(1);
    answer503 = false;
    await clock.advance(6_900);
    expect(sent).toHaveLength(1);
    await clock.advance(200);
    expect(sent).toHaveLength(2);
    expect(ids(produced())).toEqual([id]);
  });

  it('waits out a 429 Retry-After too', async () => {
    let calls = 0;
    const { tracker, clock, sent } = setup({
      respond: () => (calls++ === 0 ? new Response('{}', { status: 429, headers: { 'retry-after': '30' } }) : undefined),
    });
    tracker.track('page_view', null, { flush: true });
    await clock.advance(29_000);
    expect(sent).toHaveLength(1);
    await clock.advance(1_000);
    expect(sent).toHaveLength(2);
    expect(tracker.state().queued).toBe(0);
  });

  it('grows the delay between failed attempts up to the cap, and resets it after a success', async () => {
    let failing = true;
    const times: number[] = [];
    const context = setup({
      backoff: { initialMs: 1000, maxMs: 8000 },
      respond: () => {
        times.push(context.clock.t);
        return failing ? new Response('', { status: 502 }) : undefined;
      },
    });
    context.tracker.track('page_view', null, { flush: true });
    await context.clock.advance(30_000);
    const gaps = times.slice(1, 7).map((t, i) => t - times[i]!);
    // random() is 0.5, so each wait is three quarters of min(8000, 1000 * 2^attempt).
    expect(gaps).toEqual([750, 1500, 3000, 6000, 6000, 6000]);
    failing = false;
    await context.clock.advance(8000);
    expect(context.tracker.state()).toMatchObject({ queued: 0, backoff: { attempt: 0 } });
  });

  it('sends nothing while offline and everything once back online', async () => {
    const { tracker, clock, sent, navigator, window, produced } = setup();
    tracker.start();
    navigator.onLine = false;
    const a = tracker.track('add_to_cart', { size: 'L' }, { flush: true });
    await clock.advance(10_000);
    expect(sent).toHaveLength(0);
    navigator.onLine = true;
    window.dispatchEvent(new Event('online'));
    await clock.advance(0);
    expect(ids(produced())).toEqual([a]);
  });
});

describe('leaving the page', () => {
  it('sends the queue with fetch keepalive on pagehide, in chunks under 64 KiB, and keeps it until acknowledged', async () => {
    const { tracker, clock, sent, window, storage } = setup({
      maxBatch: 20,
      window: fakeWindow(`https://shop.example/${'p'.repeat(1500)}`),
      respond: (entry) => (entry.keepalive ? new Response('', { status: 500 }) : undefined),
    });
    tracker.start();
    const made = Array.from({ length: 120 }, () => tracker.track('page_view', null));
    window.dispatchEvent(new Event('pagehide'));
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.every((s) => s.keepalive)).toBe(true);
    expect(sent.every((s) => s.bytes < 64 * 1024)).toBe(true);
    // All keepalive requests in flight together stay within the browser's 64 KiB budget.
    expect(sent.reduce((n, s) => n + s.bytes, 0)).toBeLessThan(64 * 1024);
    const carried = ids(sent.flatMap((s) => s.body.events));
    expect(carried).toEqual(made.slice(0, carried.length));
    await clock.advance(0);
    // Those answers were lost (500), so everything is still queued for the next page.
    expect(storage.json('queue')).toHaveLength(120);
  });

  it('settles a keepalive batch normally when the page lives on (it was only hidden)', async () => {
    const { tracker, clock, window, produced } = setup();
    tracker.start();
    const a = tracker.track('page_view', null);
    window.document.visibilityState = 'hidden';
    window.document.dispatchEvent(new Event('visibilitychange'));
    await clock.advance(0);
    expect(ids(produced())).toEqual([a]);
    expect(tracker.state().queued).toBe(0);
    await clock.advance(2000);
    expect(produced()).toHaveLength(1);
  });
});

describe('leaving the page while asked to wait', () => {
  it('sends nothing on pagehide during a Retry-After window; the queue waits for the next page', async () => {
    const { tracker, clock, sent, window, storage } = setup({
      respond: () => new Response('{}', { status: 503, headers: { 'retry-after': '30' } }),
    });
    tracker.start();
    tracker.track('page_view', null, { flush: true });
    await clock.advance(0);
    expect(sent).toHaveLength(1);
    window.dispatchEvent(new Event('pagehide'));
    expect(sent).toHaveLength(1);
    expect(storage.json('queue')).toHaveLength(1);
  });
});

describe('answers that are not acknowledgements', () => {
  it('keeps the batch and backs off when a 2xx names none of its events (say, a proxy page)', async () => {
    let calls = 0;
    const { tracker, clock, sent } = setup({
      respond: () => (calls++ < 2 ? new Response('<html>hello</html>', { status: 200 }) : undefined),
    });
    const id = tracker.track('page_view', null, { flush: true });
    await clock.advance(0);
    expect(sent).toHaveLength(1);
    expect(tracker.state()).toMatchObject({ queued: 1, backoff: { attempt: 1 } });
    await clock.advance(5_000);
    expect(ids(sent.flatMap((s) => s.body.events))).toEqual([id, id, id]);
    expect(tracker.state()).toMatchObject({ queued: 0, accepted: 1 });
  });
});

describe('several tabs', () => {
  it('shares one queue, and with Web Locks only the tab holding the lock sends', async () => {
    const storage = new FakeStorage();
    let held = false;
    // A one-name Web Locks stand-in: `ifAvailable` gets null while another holder has it.
    const locks = {
      async request(_name: string, _options: unknown, callback: (lock: object | null) => Promise<void>) {
        if (held) return callback(null);
        held = true;
        try {
          return await callback({});
        } finally {
          held = false;
        }
      },
    };
    const first = setup({ storage });
    const second = setup({ storage });
    first.navigator.locks = locks;
    second.navigator.locks = locks;
    const a = first.tracker.track('page_view', null);
    const b = second.tracker.track('page_view', null);
    expect(storage.json('queue').map((e: { eventId: string }) => e.eventId)).toEqual([a, b]);
    held = true; // another tab is sending
    await second.clock.advance(1000);
    expect(second.sent).toHaveLength(0);
    held = false;
    await second.clock.advance(1000);
    expect(ids(second.sent.flatMap((s) => s.body.events))).toEqual([a, b]);
    expect(storage.json('queue')).toEqual([]);
  });
});
