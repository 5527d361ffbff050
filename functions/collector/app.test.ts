import { describe, expect, it } from 'vitest';
import type { BrokerProducer } from '../../shared/broker-port.ts';
import { BrokerUnavailableError } from '../../shared/errors.ts';
import { fastCartEventFromText } from '../../shared/cart-text-fast-path.ts';
import { topicsFor } from '../../shared/topics.ts';
import { FakeProducer } from '../lib/fake-producer.ts';
import { createCollectorMetrics, REJECT_REASONS } from '../lib/metrics.ts';
import { type CollectorDeps, createApp } from './app.ts';
import { MAX_BODY_BYTES } from './cart-route.ts';

const FIXED_TIME = '2026-11-28T01:02:03.456789Z';
const FIXED_ID = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

function setup(produceTimeoutMs = 200, options: Partial<CollectorDeps> = {}) {
  const producer = new FakeProducer();
  const metrics = createCollectorMetrics();
  const app = createApp({
    producer,
    topics: topicsFor('clickstream'),
    produceTimeoutMs,
    now: () => FIXED_TIME,
    newEventId: () => FIXED_ID,
    metrics,
    ...options,
  });
  const post = (
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) =>
    app.request('/api/cart', {
      method: 'POST',
      headers,
      body: typeof body === 'string' || body instanceof Uint8Array || body instanceof ReadableStream ? body : JSON.stringify(body),
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  /** The sample `name{labels}` from `GET /metrics`, as the endpoint serves it; 0 when absent. */
  const metric = async (sample: string): Promise<number> => {
    const text = await (await app.request('/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    return line === undefined ? 0 : Number(line.slice(sample.length + 1));
  };
  return { app, producer, metrics, post, metric };
}

/** Posts a good cart and expects the app to take it: the process is still up after whatever came before. */
async function stillServes(post: ReturnType<typeof setup>['post']): Promise<void> {
  const res = await post({ username: 'still-here' });
  expect(res.status).toBe(202);
}

/** A body stream with no length, as a chunked upload arrives. */
function streamOf(bytes: Uint8Array, chunkSize = 16 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
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

  it("writes carts as the consumer's text fast path reads them, without JSON.parse", async () => {
    const { producer, post } = setup();
    for (const cart of [
      { username: 'ana', category: 'Hoodie', gender: 'Women', style: 'Casual', size: 'M', hexColor: '#1a2b3c' },
      { username: 'Zoë' },
      { username: '李雷', category: 'T-shirt', hexColor: '#ABCDEF' },
    ]) {
      expect((await post(cart)).status).toBe(202);
    }
    for (const { message } of producer.sent) {
      const text = String(message.value);
      expect(fastCartEventFromText(text)).toStrictEqual(JSON.parse(text));
    }
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
    await stillServes(post);
  });

  it('names every bad field at once', async () => {
    const { post } = setup();
    const res = await post({ username: '', category: 'x', style: 'y' });
    const json = (await res.json()) as { fields: Record<string, string> };
    expect(Object.keys(json.fields).sort()).toEqual(['category', 'style', 'username']);
  });

  it.each([
    ['{"username": ', 'body is not valid JSON'],
    ['', 'body is not valid JSON'],
    ['{"username": "a"} trailing', 'body is not valid JSON'],
    // A raw NUL inside a JSON string (not the escape \u0000): JSON forbids raw control characters there.
    ['{"username": "a\u0000b"}', 'body is not valid JSON'],
    ['[1,2]', 'body must be a JSON object, not an array'],
    ['[{"username": "a"}]', 'body must be a JSON object, not an array'],
    ['"just a string"', 'body must be a JSON object, not a string'],
    ['42', 'body must be a JSON object, not a number'],
    ['true', 'body must be a JSON object, not a boolean'],
    ['null', 'body must be a JSON object, not null'],
  ])('refuses the body %j with 400: %s', async (body, error) => {
    const { producer, post } = setup();
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error });
    expect(producer.sent).toHaveLength(0);
    await stillServes(post);
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

const ONE_MIB = 1024 * 1024;
const bigCart = (bytes: number) => new TextEncoder().encode(JSON.stringify({ username: 'a', padding: 'x'.repeat(bytes) }));

describe('bodies too large, however they arrive', () => {
  it.each([
    ['a 1 MiB body with its true Content-Length', () => ({ body: bigCart(ONE_MIB), headers: { 'content-length': String(bigCart(ONE_MIB).length) } })],
    ['a 1 MiB body with no Content-Length', () => ({ body: bigCart(ONE_MIB), headers: {} })],
    ['a 1 MiB body whose Content-Length says 20 bytes', () => ({ body: bigCart(ONE_MIB), headers: { 'content-length': '20' } })],
    ['a body just over 64 KiB whose Content-Length says 20 bytes', () => ({ body: bigCart(MAX_BODY_BYTES), headers: { 'content-length': '20' } })],
    ['a chunked 1 MiB stream with no length', () => ({ body: streamOf(bigCart(ONE_MIB)), headers: {} })],
    ['a chunked stream just over 64 KiB', () => ({ body: streamOf(bigCart(MAX_BODY_BYTES), 1000), headers: {} })],
    ['a stream whose Content-Length says 20 bytes', () => ({ body: streamOf(bigCart(ONE_MIB)), headers: { 'content-length': '20' } })],
  ])('refuses %s with 413 and produces nothing', async (_, make) => {
    const { producer, post, metric } = setup();
    const { body, headers } = make();
    const res = await post(body, { 'content-type': 'application/json', ...headers });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: `body larger than ${MAX_BODY_BYTES} bytes` });
    expect(producer.sent).toHaveLength(0);
    expect(await metric('clickstream_rejected_total{reason="too_large"}')).toBe(1);
    await stillServes(post);
  });

  it('takes a chunked stream of a good cart that stays under the limit', async () => {
    const { producer, post } = setup();
    const body = new TextEncoder().encode(JSON.stringify({ username: 'chunked', style: 'Casual' }));
    const res = await post(streamOf(body, 3), { 'content-type': 'application/json' });
    expect(res.status).toBe(202);
    expect(producer.values()[0]).toMatchObject({ username: 'chunked', style: 'Casual' });
  });
});

describe('usernames that stay allowed', () => {
  it.each([
    ['an emoji joined by zero-width joiners', '👩\u200D💻 dev'],
    ['right-to-left script', 'שרה'],
    ['accented Latin', 'Zoë'],
  ])('accepts %s', async (_, username) => {
    const { producer, post } = setup();
    const res = await post({ username, category: 'Hoodie' });
    expect(res.status).toBe(202);
    expect(producer.values()[0]).toMatchObject({ username });
  });
});

describe('bad input, field by field', () => {
  const TEXT_FIELDS = ['username', 'category', 'gender', 'style', 'size', 'hexColor', 'eventId'] as const;
  const GOOD = { username: 'ana', category: 'Hoodie', gender: 'Women', style: 'Casual', size: 'M', hexColor: '#00aa11' };
  const CONTROL = [
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['backspace', '\b'],
    ['newline', '\n'],
    ['carriage return', '\r'],
    ['escape (terminal colours)', '\u001b[31m'],
    ['DEL', '\u007f'],
    ['C1 next line', '\u0085'],
  ] as const;

  const cases = TEXT_FIELDS.flatMap((field) =>
    CONTROL.flatMap(([name, char]) => {
      const base = field === 'eventId' ? '6f1c1d7e-2f55-4f0a-9d7a-3b1c2d3e4f50' : (GOOD[field] as string);
      return [
        [field, `${name} inside`, `${base.slice(0, 2)}${char}${base.slice(2)}`],
        [field, `${name} alone`, char],
      ] as const;
    }),
  );

  it.each(cases)('refuses %s with %s, naming the field', async (field, _, value) => {
    const { producer, post } = setup();
    const res = await post({ ...GOOD, [field]: value });
    expect(res.status).toBe(400);
    expect(Object.keys(((await res.json()) as { fields: object }).fields)).toEqual([field]);
    expect(producer.sent).toHaveLength(0);
    await stillServes(post);
  });

  it.each([
    ['username', 'a right-to-left override (shows the name backwards)', 'ana\u202Eevil'],
    ['username', 'a right-to-left mark', '\u200Fana'],
    ['username', 'a first-strong isolate', 'ana\u2068x\u2069'],
    ['username', 'a lone surrogate', 'ana\ud800'],
    ['username', 'only spaces and a tab', ' \t '],
    ['username', '33 characters', 'x'.repeat(33)],
    ['username', '10,000 characters', 'x'.repeat(10_000)],
    ['category', 'a long value', 'T-shirt'.repeat(100)],
    ['category', 'a catalogue value in the wrong case', 'hoodie'],
    ['category', 'a catalogue value with spaces', ' Hoodie '],
    ['category', 'another option\'s value', 'Women'],
    ['gender', 'an unknown value', 'Robot'],
    ['style', 'an empty string', ''],
    ['size', 'an unknown size', 'XXXL'],
    ['hexColor', 'a colour name', 'red'],
    ['hexColor', 'a short colour', '#fff'],
    ['hexColor', 'a colour with alpha', '#00112233'],
    ['hexColor', 'a long value', `#${'a'.repeat(1000)}`],
    ['eventId', 'a long value', 'f'.repeat(1000)],
    ['eventId', 'a UUID with braces', '{6f1c1d7e-2f55-4f0a-9d7a-3b1c2d3e4f50}'],
  ])('refuses %s as %s', async (field, _, value) => {
    const { producer, post } = setup();
    const res = await post({ ...GOOD, [field]: value });
    expect(res.status).toBe(400);
    expect(Object.keys(((await res.json()) as { fields: object }).fields)).toEqual([field]);
    expect(producer.sent).toHaveLength(0);
    await stillServes(post);
  });

  const WRONG_TYPES: [string, unknown][] = [
    ['a number', 7],
    ['a boolean', true],
    ['an object', { value: 'Hoodie' }],
    ['an array', ['Hoodie']],
  ];
  it.each(TEXT_FIELDS.flatMap((field) => WRONG_TYPES.map(([kind, value]) => [field, kind, value] as const)))(
    'refuses %s as %s',
    async (field, _, value) => {
      const { producer, post } = setup();
      const res = await post({ ...GOOD, [field]: value });
      expect(res.status).toBe(400);
      const fields = ((await res.json()) as { fields: Record<string, string> }).fields;
      expect(Object.keys(fields)).toEqual([field]);
      expect(fields[field]).toMatch(/must be/);
      expect(producer.sent).toHaveLength(0);
      await stillServes(post);
    },
  );

  it('refuses null for username and eventId, and takes it for every option', async () => {
    const { producer, post } = setup();
    for (const field of ['username', 'eventId']) {
      const res = await post({ ...GOOD, [field]: null });
      expect(res.status, field).toBe(400);
    }
    const res = await post({ username: 'ana', category: null, gender: null, style: null, size: null, hexColor: null });
    expect(res.status).toBe(202);
    expect(producer.sent).toHaveLength(1);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const { producer, post } = setup();
    const bytes = new Uint8Array([...new TextEncoder().encode('{"username":"a'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    const res = await post(bytes);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'body is not valid UTF-8 (or holds U+FFFD unescaped)' });
    expect(producer.sent).toHaveLength(0);
    await stillServes(post);
  });

  it('refuses U+FFFD sent as it is, which decoding cannot tell from bad bytes, and takes it escaped', async () => {
    const { producer, post } = setup();
    const raw = await post('{"username":"a\uFFFD"}');
    expect(raw.status).toBe(400);
    expect(producer.sent).toHaveLength(0);
    const escaped = await post('{"username":"a\\ufffd"}');
    expect(escaped.status).toBe(202);
    expect(JSON.parse(producer.sent[0]!.message.value as string).username).toBe('a\uFFFD');
  });

  it('refuses prototype tricks as unknown fields', async () => {
    const { producer, post } = setup();
    const res = await post('{"username":"a","__proto__":{"admin":true},"constructor":{"prototype":{}}}');
    expect(res.status).toBe(400);
    expect(Object.keys(((await res.json()) as { fields: object }).fields).sort()).toEqual(['__proto__', 'constructor']);
    expect(producer.sent).toHaveLength(0);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    await stillServes(post);
  });

  it('keeps the text it accepts exactly as sent, markup and quotes included', async () => {
    const { producer, post } = setup();
    for (const username of [`Robert'); DROP TABLE x;--`, '<img src=x onerror=alert(1)>', '"quoted" \\backslash']) {
      expect((await post({ username })).status).toBe(202);
    }
    expect(producer.values().map((v) => v.username)).toEqual([
      `Robert'); DROP TABLE x;--`,
      '<img src=x onerror=alert(1)>',
      '"quoted" \\backslash',
    ]);
  });
});

describe('metrics', () => {
  it('counts a 202 as received, produced and acknowledged', async () => {
    const { post, metric } = setup();
    expect((await post({ username: 'a' })).status).toBe(202);
    expect(await metric('clickstream_received_total')).toBe(1);
    expect(await metric('clickstream_produced_total')).toBe(1);
    expect(await metric('clickstream_acknowledged_total')).toBe(1);
    expect(await metric('clickstream_produce_seconds_count')).toBe(1);
    for (const reason of REJECT_REASONS) expect(await metric(`clickstream_rejected_total{reason="${reason}"}`)).toBe(0);
  });

  it.each([
    ['invalid', (s: ReturnType<typeof setup>) => s.post({ username: '' })],
    ['invalid', (s: ReturnType<typeof setup>) => s.post('[1]')],
    ['bad_json', (s: ReturnType<typeof setup>) => s.post('{"username": ')],
    ['content_type', (s: ReturnType<typeof setup>) => s.post({ username: 'a' }, { 'content-type': 'text/plain' })],
    ['too_large', (s: ReturnType<typeof setup>) => s.post({ username: 'a', padding: 'x'.repeat(MAX_BODY_BYTES) })],
    [
      'broker_unavailable',
      (s: ReturnType<typeof setup>) => {
        s.producer.failWith = new BrokerUnavailableError('down');
        return s.post({ username: 'a' });
      },
    ],
    [
      'internal_error',
      (s: ReturnType<typeof setup>) => {
        s.producer.failWith = new Error('a bug in the adapter');
        return s.post({ username: 'a' });
      },
    ],
  ])('counts a refusal as received and rejected{reason="%s"}, never acknowledged', async (reason, send) => {
    const s = setup();
    expect((await send(s)).status).toBeGreaterThanOrEqual(400);
    expect(await s.metric('clickstream_received_total')).toBe(1);
    expect(await s.metric(`clickstream_rejected_total{reason="${reason}"}`)).toBe(1);
    expect(await s.metric('clickstream_acknowledged_total')).toBe(0);
    expect(await s.metric('clickstream_produced_total')).toBe(0);
  });

  it('keeps the ledger: received = acknowledged + the sum of rejected', async () => {
    const s = setup();
    const bodies = [{ username: 'a' }, { username: '' }, '{', { username: 'b' }, [1], { username: 'c', size: 'XXXL' }];
    for (const body of bodies) await s.post(body);
    const rejected = await Promise.all(REJECT_REASONS.map((r) => s.metric(`clickstream_rejected_total{reason="${r}"}`)));
    expect(await s.metric('clickstream_received_total')).toBe(6);
    expect(await s.metric('clickstream_acknowledged_total')).toBe(2);
    expect(rejected.reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('counts a broker acknowledgement that came after the 503 as produced, not acknowledged', async () => {
    let acknowledge: () => void = () => {};
    const late: BrokerProducer = {
      produce: () => new Promise<void>((resolve) => (acknowledge = resolve)),
      health: async () => ({ ok: true }),
      close: async () => {},
    };
    const s = setup(50, { producer: late });
    expect((await s.post({ username: 'a' })).status).toBe(503);
    expect(await s.metric('clickstream_produced_total')).toBe(0);
    acknowledge();
    await new Promise((r) => setTimeout(r, 0));
    expect(await s.metric('clickstream_produced_total')).toBe(1);
    expect(await s.metric('clickstream_acknowledged_total')).toBe(0);
    expect(await s.metric('clickstream_rejected_total{reason="broker_unavailable"}')).toBe(1);
  });

  it('serves the Prometheus text format', async () => {
    const { app } = setup();
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE clickstream_received_total counter');
    expect(text).toContain('# TYPE clickstream_produce_seconds histogram');
  });

  it('keeps each app its own counts: no registry is shared', async () => {
    const one = setup();
    const two = setup();
    await one.post({ username: 'a' });
    expect(await one.metric('clickstream_received_total')).toBe(1);
    expect(await two.metric('clickstream_received_total')).toBe(0);
    // An app given no registry makes its own.
    const bare = createApp({ producer: new FakeProducer(), topics: topicsFor('x'), produceTimeoutMs: 100 });
    expect((await bare.request('/metrics')).status).toBe(200);
  });
});

describe('rate limit', () => {
  const cart = { username: 'rl' };

  it('lets N carts a minute through per client, then answers 429 with Retry-After and a JSON body', async () => {
    const s = setup(200, { rateLimitPerMinute: 3, clientKey: () => 'client-a' });
    for (let i = 0; i < 3; i++) expect((await s.post(cart)).status).toBe(202);
    const res = await s.post(cart);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: 'too many carts from this client: at most 3 a minute', retryAfterSeconds: retryAfter });
    expect(s.producer.sent).toHaveLength(3);
    expect(await s.metric('clickstream_rejected_total{reason="rate_limited"}')).toBe(1);
    expect(await s.metric('clickstream_received_total')).toBe(4);
  });

  it('counts each client on its own', async () => {
    let key = 'a';
    const s = setup(200, { rateLimitPerMinute: 1, clientKey: () => key });
    expect((await s.post(cart)).status).toBe(202);
    expect((await s.post(cart)).status).toBe(429);
    key = 'b';
    expect((await s.post(cart)).status).toBe(202);
  });

  it('refuses before reading the body, so floods of bad requests count too', async () => {
    const s = setup(200, { rateLimitPerMinute: 2, clientKey: () => 'k' });
    expect((await s.post('{')).status).toBe(400);
    expect((await s.post({ username: '' })).status).toBe(400);
    expect((await s.post(cart)).status).toBe(429);
  });

  it('is off by default', async () => {
    const s = setup();
    for (let i = 0; i < 50; i++) expect((await s.post(cart)).status).toBe(202);
  });

  it('limits only POST /api/cart, not health or metrics', async () => {
    const s = setup(200, { rateLimitPerMinute: 1, clientKey: () => 'k' });
    await s.post(cart);
    await s.post(cart);
    expect((await s.app.request('/healthz')).status).toBe(200);
    expect((await s.app.request('/metrics')).status).toBe(200);
  });

  it('will not start without a way to tell clients apart', () => {
    expect(() => setup(200, { rateLimitPerMinute: 5 })).toThrow(/clientKey/);
  });
});

describe('CORS', () => {
  const SHOP = 'https://shop.example';
  const preflight = (app: ReturnType<typeof setup>['app'], origin: string) =>
    app.request('/api/cart', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
  const corsHeaders = (res: Response) => {
    const names: string[] = [];
    res.headers.forEach((_, name) => name.startsWith('access-control-') && names.push(name));
    return names;
  };

  it('answers an allowed origin on preflight and on the POST', async () => {
    const s = setup(200, { corsOrigins: [SHOP] });
    const pre = await preflight(s.app, SHOP);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(s.producer.sent).toHaveLength(0);

    const res = await s.post({ username: 'a' }, { 'content-type': 'application/json', origin: SHOP });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('lets the allowed origin read refusals too: 400 and 429 carry the header', async () => {
    const s = setup(200, { corsOrigins: [SHOP], rateLimitPerMinute: 1, clientKey: () => 'k' });
    const bad = await s.post({ username: '' }, { 'content-type': 'application/json', origin: SHOP });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe(SHOP);
    const limited = await s.post({ username: 'a' }, { 'content-type': 'application/json', origin: SHOP });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe(SHOP);
  });

  it('sends no allow-origin to any other origin', async () => {
    const s = setup(200, { corsOrigins: [SHOP] });
    for (const origin of ['https://evil.example', 'https://shop.example.evil.example', 'null', 'http://shop.example']) {
      expect((await preflight(s.app, origin)).headers.get('access-control-allow-origin'), origin).toBeNull();
      const res = await s.post({ username: 'a' }, { 'content-type': 'application/json', origin });
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it('sends no CORS headers at all by default', async () => {
    const s = setup();
    const pre = await preflight(s.app, SHOP);
    expect(corsHeaders(pre)).toEqual([]);
    const res = await s.post({ username: 'a' }, { 'content-type': 'application/json', origin: SHOP });
    expect(res.status).toBe(202);
    expect(corsHeaders(res)).toEqual([]);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
  });
});

describe('security headers', () => {
  it.each([
    ['a 202', (s: ReturnType<typeof setup>) => s.post({ username: 'a' })],
    ['a 400', (s: ReturnType<typeof setup>) => s.post({ username: '' })],
    ['a 413', (s: ReturnType<typeof setup>) => s.post({ username: 'a', padding: 'x'.repeat(MAX_BODY_BYTES) })],
    ['a 415', (s: ReturnType<typeof setup>) => s.post({ username: 'a' }, { 'content-type': 'text/html' })],
    [
      'a 503',
      (s: ReturnType<typeof setup>) => {
        s.producer.failWith = new BrokerUnavailableError('down');
        return s.post({ username: 'a' });
      },
    ],
    [
      'a 500',
      (s: ReturnType<typeof setup>) => {
        s.producer.failWith = new Error('a bug in the adapter');
        return s.post({ username: 'a' });
      },
    ],
    [
      'a 429',
      async () => {
        const limited = setup(200, { rateLimitPerMinute: 1, clientKey: () => 'client-a' });
        await limited.post({ username: 'a' });
        const res = await limited.post({ username: 'a' });
        expect(res.status).toBe(429);
        return res;
      },
    ],
    ['a 404', (s: ReturnType<typeof setup>) => s.app.request('/nope')],
    ['/healthz', (s: ReturnType<typeof setup>) => s.app.request('/healthz')],
    ['/metrics', (s: ReturnType<typeof setup>) => s.app.request('/metrics')],
  ])('are on %s', async (_, send) => {
    const res = await send(setup());
    expect(res.headers.get('x-permitted-cross-domain-policies')).toBe('none');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('labels JSON answers as JSON', async () => {
    const s = setup();
    for (const res of [await s.post({ username: 'a' }), await s.post({ username: '' }), await s.post('{')]) {
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });
});
