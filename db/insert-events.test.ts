import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';
import { trackedMessage } from '../test/tracked-events.ts';
import { insertEvents } from './insert-events.ts';

let database: FreshDatabase;
let sql: postgres.Sql;
beforeAll(async () => {
  database = await freshDatabase('insert_events');
  sql = postgres(database.url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await database?.drop();
});

describe('insertEvents on a real Postgres', () => {
  it('stores every field in its typed column, properties as jsonb, in one statement', async () => {
    const view = trackedMessage({ referrer: 'https://a.example/?q="x",{y}\\z', username: 'Zoë 🛒' });
    const choice = trackedMessage({
      type: 'option_selected',
      seq: 1,
      properties: { option: 'hexColor', value: '#0a1b2c' },
      ipTruncated: '2001:db8:1::',
      viewport: null,
      utm: { source: null, medium: null, campaign: null, term: null, content: null },
    } as never);
    const cart = trackedMessage({
      type: 'add_to_cart',
      seq: 2,
      properties: { category: 'Hat', gender: null, style: null, size: 'M', hexColor: null },
      ipTruncated: null,
      userAgent: null,
    } as never);
    const result = await insertEvents(
      database.db,
      [view, choice, cart].map((event, i) => ({ event, partition: 1, offset: String(40 + i) })),
    );
    expect(result).toEqual({ inserted: 3, duplicates: 0 });
    const rows = await sql`
      select event_id, type, seq, username, referrer, utm_source, viewport_width, viewport_height, properties,
             host(ip_truncated) as ip, masklen(ip_truncated) as mask, user_agent, page_url, kafka_offset,
             to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as occurred,
             to_char(client_created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') as created
      from events order by seq`;
    expect(rows.map((r) => r.event_id)).toEqual([view.eventId, choice.eventId, cart.eventId]);
    expect(rows[0]).toMatchObject({
      type: 'page_view',
      username: 'Zoë 🛒',
      referrer: 'https://a.example/?q="x",{y}\\z',
      utm_source: 'news',
      viewport_width: 1280,
      viewport_height: 720,
      properties: { title: 'shop' },
      ip: '203.0.113.0',
      user_agent: 'Test/1.0',
      page_url: 'https://shop.example/?utm_source=news',
      kafka_offset: '40',
      occurred: '2026-11-28 09:59:59.000001',
      created: '2026-11-28 09:59:58.123',
    });
    expect(rows[1]).toMatchObject({ properties: { option: 'hexColor', value: '#0a1b2c' }, ip: '2001:db8:1::', viewport_width: null });
    expect(rows[2]).toMatchObject({ properties: { category: 'Hat', gender: null, style: null, size: 'M', hexColor: null }, ip: null, user_agent: null });
  });

  it('makes a re-sent or redelivered event a no-op, counted as a duplicate', async () => {
    const event = trackedMessage({ seq: 9 });
    const row = { event, partition: 0, offset: '7' };
    expect(await insertEvents(database.db, [row])).toEqual({ inserted: 1, duplicates: 0 });
    expect(await insertEvents(database.db, [row, { ...row, offset: '8' }])).toEqual({ inserted: 0, duplicates: 2 });
    expect((await sql`select count(*)::int as n from events where event_id = ${event.eventId}`)[0]!.n).toBe(1);
  });
});
