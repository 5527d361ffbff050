import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CartEvent } from '../shared/cart-event.ts';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';
import { copyCarts } from './copy-carts.ts';
import { type CartRow, type InsertResult, insertCarts } from './insert-carts.ts';

function cart(overrides: Partial<CartEvent> = {}): CartEvent {
  return {
    type: 'add_to_cart',
    eventId: crypto.randomUUID(),
    createdAt: '2026-11-28T01:02:03.456789Z',
    username: 'ana',
    category: 'Hoodie',
    gender: 'Women',
    style: 'Streetwear',
    size: 'XXL',
    hexColor: '#0a1b2c',
    ...overrides,
  };
}

// The consumer lands carts with copyCarts, which falls back to insertCarts: both keep one contract.
type Land = (database: FreshDatabase, rows: readonly CartRow[]) => Promise<InsertResult>;
const strategies: [string, Land][] = [
  ['insertCarts', (database, rows) => insertCarts(database.db, rows)],
  ['copyCarts', (database, rows) => copyCarts(database.db, database.copier, rows)],
];

describe.each(strategies)('%s on a real Postgres', (name, landWith) => {
  let database: FreshDatabase;
  beforeAll(async () => {
    database = await freshDatabase(name);
  });
  afterAll(() => database?.drop());
  const land = (rows: readonly CartRow[]) => landWith(database, rows);

  it('stores every field intact, microseconds and tricky text included', async () => {
    const usernames = ['Zoë 🛒', "x'); DROP TABLE t;--", '<script>alert(1)</script>', 'a,b{c}"d\\e'];
    const events = usernames.map((username) => cart({ username }));
    const result = await land(
      events.map((event, i) => ({ event, partition: 2, offset: String(1000 + i) })),
    );
    expect(result).toEqual({ inserted: 4, duplicates: 0 });
    const rows = await database.rows();
    expect(rows.map((r) => r.username).sort()).toEqual([...usernames].sort());
    expect(rows[0]).toMatchObject({
      created_text: '2026-11-28 01:02:03.456789',
      category: 'Hoodie',
      gender: 'Women',
      style: 'Streetwear',
      size: 'XXL',
      hex_color: '#0a1b2c',
      kafka_partition: 2,
    });
  });

  it('keeps two carts by the same user in the same microsecond (the seed lost these)', async () => {
    const before = await database.count();
    const twins = [cart({ username: 'twin' }), cart({ username: 'twin' })];
    await land(twins.map((event, i) => ({ event, partition: 0, offset: String(i) })));
    expect((await database.count()) - before).toBe(2);
  });

  it('makes a redelivered event a no-op and counts it as a duplicate', async () => {
    const event = cart({ username: 'again' });
    const row = { event, partition: 0, offset: '5' };
    const first = await land([row]);
    const second = await land([row, row]);
    expect(first).toEqual({ inserted: 1, duplicates: 0 });
    expect(second).toEqual({ inserted: 0, duplicates: 2 });
  });

  it('keeps backslashes, tabs and line breaks intact and NULL apart from the text "\\N"', async () => {
    const usernames = ['back\\slash', 'tab\there', 'two\nlines', '\\N'];
    const events = usernames.map((username) => cart({ username, category: null, hexColor: null }));
    await land(events.map((event, i) => ({ event, partition: 1, offset: String(i) })));
    const rows = await database.rows();
    for (const event of events) {
      const row = rows.find((r) => r.event_id === event.eventId)!;
      expect([row.username, row.category, row.hex_color]).toEqual([event.username, null, null]);
    }
  });

  it('counts a message and its redelivery in the same batch as one row and one duplicate', async () => {
    const event = cart({ username: 'twice-in-a-batch' });
    const result = await land([
      { event, partition: 0, offset: '1' },
      { event: cart(), partition: 0, offset: '2' },
      { event, partition: 0, offset: '3' },
    ]);
    expect(result).toEqual({ inserted: 2, duplicates: 1 });
  });
});
