import { describe, expect, it } from 'vitest';
import { BrokerUnavailableError } from '../../shared/errors.ts';
import { topicsFor } from '../../shared/topics.ts';
import { eventTimeMs, trackedEventMessageSchema } from '../../shared/tracked-event.ts';
import { FakeProducer } from '../lib/fake-producer.ts';
import { createCollectorMetrics } from '../lib/metrics.ts';
import { createApp } from './app.ts';
import { MAX_EVENTS_BODY_BYTES } from './events-route.ts';

const RECEIVED = '2026-11-28T10:00:10.000000Z';
const ANON = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01';
const SESSION = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02';

let counter = 0;
function event(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    eventId: `0193a1b2-c3d4-7e5f-8a9b-${String(counter).padStart(12, '0')}`,
    type: 'page_view',
    anonymousId: ANON,
    sessionId: SESSION,
    seq: counter,
    username: null,
    createdAt: '2026-11-28T09:00:00.000Z',
    sentAt: '2026-11-28T09:00:03.000Z',
    url: 'https://shop.example/',
    referrer: null,
    utm: { source: null, medium: null, campaign: null, term: null, content: null },
    viewport: { width: 800, height: 600 },
    properties: { title: 'shop' },
    ...overrides,
  };
}

function setup(overrides: Partial<Parameters<typeof createApp>[0]> = {}) {
  const producer = new FakeProducer();
  const metrics = createCollectorMetrics();
  let address: string | undefined = '2001:db8:abcd:12:1:2:3:4';
  const app = createApp({
    producer,
    topics: topicsFor('clickstream'),
    produceTimeoutMs: 200,
    metrics,
    clientAddress: () => address,
    ...overrides,
  });
  // The route reads its clock through performance; a fixed nowMs keeps times exact.
  const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'UnitTest/1.0' }) =>
    app.request('/api/events', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const metric = async (sample: string): Promise<number> => {
    const text = await (await app.request('/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    return line === undefined ? 0 : Number(line.slice(sample.length + 1));
  };
  return { app, producer, metrics, post, metric, setAddress: (a: string | undefined) => (address = a) };
}

describe('POST /api/events', () => {
  it('takes a batch, stamps each event and produces it keyed by anonymousId, answering 202 with the accepted ids', async () => {
    const { post, producer, metric } = setup();
    const batch = [event(), event({ type: 'option_selected', username: 'ana', properties: { option: 'size', value: 'M' } })];
    const res = await post({ events: batch });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: batch.map((e) => e.eventId), rejected: [] });
    expect(producer.sent.map((s) => [s.topic, s.message.key])).toEqual([
      ['clickstream.events', ANON],
      ['clickstream.events', ANON],
    ]);
    const [first] = producer.values();
    expect(trackedEventMessageSchema.safeParse(first).success).toBe(true);
    expect(first).toMatchObject({ ipTruncated: '2001:db8:abcd::', userAgent: 'UnitTest/1.0', createdAt: '2026-11-28T09:00:00.000Z' });
    // 3 s waited on the client, so the event happened 3 s before the collector received it.
    const { receivedAt, occurredAt } = first as { receivedAt: string; occurredAt: string };
    expect(Date.parse(receivedAt) - Date.parse(occurredAt)).toBeCloseTo(3000, 0);
    expect(await metric('clickstream_tracked_received_total')).toBe(2);
    expect(await metric('clickstream_tracked_accepted_total')).toBe(2);
  });

  it('refuses a bad event with its reasons and keeps the good ones', async () => {
    const { post, producer, metric } = setup();
    const good = event();
    const bad = event({ type: 'option_selected', properties: { option: 'size', value: 'XXXL' }, seq: -1 });
    const res = await post({ events: [good, bad, 'not an event', event({ type: 'teleport' })] });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: string[]; rejected: { index: number; eventId?: string; reasons: Record<string, string> }[] };
    expect(body.accepted).toEqual([good.eventId]);
    expect(body.rejected).toEqual([
      { index: 1, eventId: bad.eventId, reasons: { seq: 'must not be negative', 'properties.value': 'must be one of: XS, S, M, L, XL, XXL' } },
      { index: 2, reasons: { '(body)': expect.any(String) } },
      { index: 3, eventId: expect.any(String), reasons: { type: 'type must be one of: page_view, option_selected, add_to_cart' } },
    ]);
    expect(producer.values().map((v) => v.eventId)).toEqual([good.eventId]);
    expect(await metric('clickstream_tracked_rejected_total{reason="invalid"}')).toBe(3);
  });

  it('answers 400 when no event in the batch can be taken, producing nothing', async () => {
    const { post, producer } = setup();
    const res = await post({ events: [event({ url: '' })] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ accepted: [], rejected: [{ index: 0, reasons: { url: 'must not be empty' } }] });
    expect(producer.sent).toEqual([]);
  });

  it('produces an event repeated in one batch once', async () => {
    const { post, producer } = setup();
    const e = event();
    const res = await post({ events: [e, e] });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: [e.eventId], rejected: [] });
    expect(producer.sent).toHaveLength(1);
  });

  it('clamps an event from the future to the receive time', () => {
    const received = Date.parse(RECEIVED);
    expect(eventTimeMs(received, '2026-11-28T09:00:05.000Z', '2026-11-28T09:00:00.000Z')).toBe(received);
    expect(eventTimeMs(received, '2026-11-28T09:00:00.000Z', '2026-11-28T09:00:00.250Z')).toBe(received - 250);
  });

  it('truncates IPv4 to its /24, and stores nothing when the address is unknown', async () => {
    const { post, producer, setAddress } = setup();
    setAddress('::ffff:198.51.100.77');
    await post({ events: [event()] });
    setAddress(undefined);
    await post({ events: [event()] });
    expect(producer.values().map((v) => v.ipTruncated)).toEqual(['198.51.100.0', null]);
  });

  it('takes text/plain (navigator.sendBeacon) and counts the drops a tracker reports', async () => {
    const { post, metric } = setup();
    const res = await post(JSON.stringify({ events: [event()], dropped: 7 }), { 'content-type': 'text/plain;charset=UTF-8' });
    expect(res.status).toBe(202);
    expect(await metric('clickstream_tracker_dropped_total')).toBe(7);
  });

  it('refuses malformed batches as a whole', async () => {
    const { post } = setup();
    expect((await post({ events: [event()] }, { 'content-type': 'application/xml' })).status).toBe(415);
    expect((await post('{nope')).status).toBe(400);
    expect((await post([event()])).status).toBe(400);
    expect((await post({ events: [] })).status).toBe(400);
    expect((await post({ events: [event()], extra: 1 })).status).toBe(400);
    expect((await post({ events: Array.from({ length: 501 }, () => event()) })).status).toBe(413);
    expect((await post({ events: [event({ url: `https://x/${'a'.repeat(MAX_EVENTS_BODY_BYTES)}` })] })).status).toBe(413);
  });

  it('takes 500 events in one batch', async () => {
    const { post, producer } = setup();
    const res = await post({ events: Array.from({ length: 500 }, () => event()) });
    expect(res.status).toBe(202);
    expect(producer.sent).toHaveLength(500);
  });

  it('answers 503 with Retry-After when the broker does not acknowledge, so the tracker keeps the batch', async () => {
    const { post, producer, metric } = setup();
    producer.failWith = new BrokerUnavailableError('broker down');
    const res = await post({ events: [event(), event()] });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await metric('clickstream_tracked_rejected_total{reason="broker_unavailable"}')).toBe(2);
    producer.failWith = undefined;
    producer.hangs = true;
    const started = Date.now();
    expect((await post({ events: [event()] })).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('leaves POST /api/cart as it was', async () => {
    const { app, producer } = setup();
    const res = await app.request('/api/cart', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ana', size: 'M' }),
    });
    expect(res.status).toBe(202);
    expect(producer.sent.map((s) => s.topic)).toEqual(['clickstream']);
  });
});

describe('POST /api/events rate limit', () => {
  const batchOf = () => ({ events: [event()] });

  it('lets N batches a minute through per client, then answers 429 with Retry-After, producing nothing more', async () => {
    const { post, producer, metric } = setup({ eventsRateLimitPerMinute: 2, clientKey: () => 'browser-a' });
    expect((await post(batchOf())).status).toBe(202);
    expect((await post(batchOf())).status).toBe(202);
    const res = await post(batchOf());
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toEqual({ error: 'too many tracker batches from this client: at most 2 a minute', retryAfterSeconds: retryAfter });
    expect(producer.sent).toHaveLength(2);
    expect(await metric('clickstream_tracked_rejected_total{reason="rate_limited"}')).toBe(1);
  });

  it('keeps its own count, apart from the carts limit', async () => {
    const { app, post } = setup({ eventsRateLimitPerMinute: 1, rateLimitPerMinute: 1, clientKey: () => 'k' });
    expect((await post(batchOf())).status).toBe(202);
    const cart = await app.request('/api/cart', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"ana"}' });
    expect(cart.status).toBe(202);
    expect((await post(batchOf())).status).toBe(429);
  });

  it('is off by default, and will not start without a way to tell clients apart', async () => {
    const { post } = setup();
    for (let i = 0; i < 20; i++) expect((await post(batchOf())).status).toBe(202);
    expect(() => setup({ eventsRateLimitPerMinute: 5 })).toThrow(/clientKey/);
  });
});
