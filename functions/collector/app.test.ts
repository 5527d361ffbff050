import { describe, expect, it } from 'vitest';
import { BrokerUnavailableError } from '../../shared/errors.ts';
import { topicsFor } from '../../shared/topics.ts';
import { FakeProducer } from '../lib/fake-producer.ts';
import { createApp, MAX_BODY_BYTES } from './app.ts';

const FIXED_TIME = '2026-11-28T01:02:03.456789Z';
const FIXED_ID = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

function setup(produceTimeoutMs = 200) {
  const producer = new FakeProducer();
  const app = createApp({
    producer,
    topics: topicsFor('clickstream'),
    produceTimeoutMs,
    now: () => FIXED_TIME,
    newEventId: () => FIXED_ID,
  });
  const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.request('/api/cart', {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { app, producer, post };
}

describe('POST /api/cart', () => {
  it('produces one event keyed by username and answers 202 with its id', async () => {
    const { producer, post } = setup();
    const res = await post({ username: '  ana  ', category: 'Hoodie', size: 'M', hexColor: '#A1B2C3' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ eventId: FIXED_ID });
    expect(producer.sent).toHaveLength(1);
    expect(producer.sent[0]!.topic).toBe('clickstream');
    expect(producer.sent[0]!.message.key).toBe('ana');
    expect(producer.values()[0]).toEqual({
      type: 'add_to_cart',
      eventId: FIXED_ID,
      createdAt: FIXED_TIME,
      username: 'ana',
      category: 'Hoodie',
      gender: null,
      style: null,
      size: 'M',
      hexColor: '#a1b2c3',
    });
  });

  it("keeps a client's own eventId so a retry is idempotent downstream", async () => {
    const { producer, post } = setup();
    const eventId = '6f1c1d7e-2f55-4f0a-9d7a-3b1c2d3e4f50';
    const res = await post({ eventId, username: 'bo' });
    expect(await res.json()).toEqual({ eventId });
    expect(producer.values()[0]!.eventId).toBe(eventId);
  });

  it('accepts unicode usernames up to 32 characters, counted as characters', async () => {
    const { post } = setup();
    expect((await post({ username: '🛒'.repeat(32) })).status).toBe(202);
    expect((await post({ username: '🛒'.repeat(33) })).status).toBe(400);
  });

  it.each([
    [{ username: '' }, 'username'],
    [{ username: '   ' }, 'username'],
    [{}, 'username'],
    [{ username: 'a'.repeat(33) }, 'username'],
    [{ username: 'nul\u0000byte' }, 'username'],
    [{ username: 'tab\there' }, 'username'],
    [{ username: 42 }, 'username'],
    [{ username: 'ok', category: 'Spaceship' }, 'category'],
    [{ username: 'ok', size: 'XXXXXL' }, 'size'],
    [{ username: 'ok', gender: 7 }, 'gender'],
    [{ username: 'ok', hexColor: 'red' }, 'hexColor'],
    [{ username: 'ok', eventId: 'not-a-uuid' }, 'eventId'],
    [{ username: 'ok', price: 10 }, 'price'],
  ])('refuses %j naming the field %s', async (body, field) => {
    const { producer, post } = setup();
    const res = await post(body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { fields: Record<string, string> };
    expect(Object.keys(json.fields)).toContain(field);
    expect(producer.sent).toHaveLength(0);
  });

  it('names every bad field at once', async () => {
    const { post } = setup();
    const res = await post({ username: '', category: 'x', style: 'y' });
    const json = (await res.json()) as { fields: Record<string, string> };
    expect(Object.keys(json.fields).sort()).toEqual(['category', 'style', 'username']);
  });

  it.each([
    ['{"username": ', 400],
    ['[1,2]', 400],
    ['"just a string"', 400],
    ['null', 400],
  ])('refuses the body %s with %i', async (body, status) => {
    const { post } = setup();
    expect((await post(body)).status).toBe(status);
  });

  it('refuses a wrong content type with 415', async () => {
    const { post } = setup();
    expect((await post({ username: 'a' }, { 'content-type': 'text/plain' })).status).toBe(415);
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const { producer, post } = setup();
    const res = await post({ username: 'a', padding: 'x'.repeat(MAX_BODY_BYTES) });
    expect(res.status).toBe(413);
    expect(producer.sent).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the broker refuses, never 202', async () => {
    const { producer, post } = setup();
    producer.failWith = new BrokerUnavailableError('broker down');
    const res = await post({ username: 'a' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('answers 503 within the deadline when the broker never acknowledges', async () => {
    const { producer, post } = setup(150);
    producer.hangs = true;
    const started = performance.now();
    const res = await post({ username: 'a' });
    expect(res.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('health', () => {
  it('is ready when the broker answers and not when it does not', async () => {
    const { app, producer } = setup();
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
    producer.failWith = new BrokerUnavailableError('down');
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ checks: { broker: { ok: false, detail: 'down' } } });
  });
});
