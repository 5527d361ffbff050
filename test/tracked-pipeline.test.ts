import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ConsumerService } from '../functions/consumer/service.ts';
import { consume } from './kafka-messages.ts';
import { startPipeline, type Pipeline } from './pipeline-harness.ts';
import { trackedMessage } from './tracked-events.ts';

// The tracker's path on a real broker and a real Postgres: POST /api/events -> <topic>.events ->
// the consumer's second group -> the events table; carts keep landing in clickstream_data alone.

let pipeline: Pipeline;
let consumer: ConsumerService;
let sql: postgres.Sql;

beforeAll(async () => {
  pipeline = await startPipeline('tracked');
  consumer = await pipeline.startConsumer();
  sql = postgres(pipeline.database.url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await pipeline?.close();
});

const session = crypto.randomUUID();
let seq = 0;
function wireEvent(type: string, properties: Record<string, unknown>, eventId: string = crypto.randomUUID()) {
  const at = new Date().toISOString();
  return {
    eventId,
    type,
    anonymousId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aaa',
    sessionId: session,
    seq: seq++,
    username: 'tess',
    createdAt: at,
    sentAt: at,
    url: 'http://127.0.0.1/',
    referrer: null,
    utm: null,
    viewport: { width: 800, height: 600 },
    properties,
  };
}

const postEvents = (events: unknown[]) =>
  fetch(`${pipeline.url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const eventCount = async (ids: string[]) => Number((await sql`select count(*)::int as n from events where event_id = any(${ids}::uuid[])`)[0]!.n);

describe('tracked events end to end (real broker, real Postgres)', () => {
  it('lands a batch in events, once, and a tracked add_to_cart never makes a second cart row', async () => {
    const cartRes = await pipeline.postCart({ username: 'tess', category: 'Hat', size: 'M' });
    expect(cartRes.status).toBe(202);
    const { eventId: cartId } = (await cartRes.json()) as { eventId: string };
    const batch = [
      wireEvent('page_view', { title: 'shop' }),
      wireEvent('option_selected', { option: 'category', value: 'Hat' }),
      wireEvent('add_to_cart', { category: 'Hat', gender: null, style: null, size: 'M', hexColor: null }, cartId),
    ];
    const ids = batch.map((e) => e.eventId);
    const res = await postEvents(batch);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: ids, rejected: [] });
    // The same batch again, as a tracker does after a lost answer.
    expect((await postEvents(batch)).status).toBe(202);

    await waitFor('three events', async () => ((await eventCount(ids)) === 3 ? true : null));
    await waitFor('both copies consumed', async () =>
      consumer.trackedMetrics.consumed.get().then((m) => (m.values[0]!.value >= 6 ? true : null)),
    );
    expect(await eventCount(ids)).toBe(3);
    expect((await consumer.trackedMetrics.duplicatesSkipped.get()).values[0]!.value).toBe(3);
    const rows = await sql`select type, seq, username, host(ip_truncated) as ip, occurred_at <= received_at as ordered from events
                           where event_id = any(${ids}::uuid[]) order by seq`;
    expect(rows.map((r) => r.type)).toEqual(['page_view', 'option_selected', 'add_to_cart']);
    expect(rows.every((r) => r.username === 'tess' && r.ordered === true)).toBe(true);

    // clickstream_data: the cart from POST /api/cart, once; the tracker's click did not add one.
    await pipeline.waitForRows(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await pipeline.database.rows()).filter((r) => r.event_id === cartId)).toHaveLength(1);
    expect(await pipeline.database.count()).toBe(1);
  });

  it('turns the same Kafka message produced three times into one row', async () => {
    const message = trackedMessage({ sessionId: crypto.randomUUID() });
    for (let i = 0; i < 3; i++) {
      await pipeline.producer.produce(pipeline.topics.tracked, [{ key: message.anonymousId, value: JSON.stringify(message) }]);
    }
    await waitFor('the row', async () => ((await eventCount([message.eventId])) === 1 ? true : null));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await eventCount([message.eventId])).toBe(1);
  });

  it('sends what can never be stored to the tracked dead-letter topic with the reason, and lands the rest', async () => {
    const good = trackedMessage({ sessionId: crypto.randomUUID() });
    await pipeline.producer.produce(pipeline.topics.tracked, [
      { key: 'poison', value: '{not json' },
      { key: 'wrong', value: JSON.stringify({ ...good, eventId: crypto.randomUUID(), type: 'teleport' }) },
      { key: good.anonymousId, value: JSON.stringify(good) },
    ]);
    await waitFor('the good row', async () => ((await eventCount([good.eventId])) === 1 ? true : null));
    const letters = await consume(inject('kafkaBrokers'), pipeline.topics.trackedDeadLetter, 2);
    expect(letters.sort()).toEqual(['{not json', expect.stringContaining('"teleport"')].sort());
    await waitFor('the dead-letter count', async () =>
      (await consumer.trackedMetrics.deadLettered.get()).values[0]!.value === 2 ? true : null,
    );
  });
});
