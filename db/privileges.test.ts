import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CartEvent } from '../shared/cart-event.ts';
import { parseCollectorConfig } from '../shared/config.ts';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';
import { openDatabase } from './client.ts';
import { copyCarts } from './copy-carts.ts';
import { type CartRow, insertCarts } from './insert-carts.ts';
import { migrateDatabase } from './migrate.ts';

/**
 * Proves the README's "database privileges each function needs" on the test Postgres: a database
 * with PUBLIC's default rights revoked, a migration role and a consumer role given only what is
 * listed, and each function's real statements run as that role.
 */

const suffix = crypto.randomUUID().slice(0, 8);
const MIGRATOR = `cs_migrator_${suffix}`;
const CONSUMER = `cs_consumer_${suffix}`;
const PASSWORD = crypto.randomUUID();

let database: FreshDatabase;
let dbName: string;
let admin: postgres.Sql;
let adminInDb: postgres.Sql;
const opened: { close(): Promise<unknown> }[] = [];

function urlAs(role: string): string {
  const url = new URL(database.url);
  url.username = role;
  url.password = PASSWORD;
  return url.href;
}

function sqlAs(role: string): postgres.Sql {
  const sql = postgres(urlAs(role), { max: 1, onnotice: () => {} });
  opened.push({ close: () => sql.end() });
  return sql;
}

function handleAs(role: string) {
  const handle = openDatabase(urlAs(role), { poolSize: 1 });
  opened.push(handle);
  return handle;
}

function row(username: string): CartRow {
  const event: CartEvent = {
    type: 'add_to_cart',
    eventId: crypto.randomUUID(),
    createdAt: '2026-11-28T01:02:03.456789Z',
    username,
    category: 'Hat',
    gender: null,
    style: null,
    size: 'M',
    hexColor: '#00ff00',
  };
  return { event, partition: 1, offset: '42' };
}

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return 'ok';
  } catch (error) {
    const e = error as { code?: string; cause?: { code?: string }; message?: string };
    return e.code ?? e.cause?.code ?? /\b(\d{5}|42[0-9A-Z]{3})\b/.exec(e.message ?? '')?.[1] ?? `error: ${e.message}`;
  }
}

beforeAll(async () => {
  database = await freshDatabase('privileges', { migrate: false });
  dbName = new URL(database.url).pathname.slice(1);
  admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
  adminInDb = postgres(database.url, { max: 1, onnotice: () => {} });
  // Locked down: nobody gets anything by default, so every right below is one we granted.
  await admin.unsafe(`revoke all on database ${dbName} from public`);
  await adminInDb.unsafe('revoke all on schema public from public');
  for (const role of [MIGRATOR, CONSUMER]) {
    await admin.unsafe(`create role ${role} login password '${PASSWORD}'`);
    await admin.unsafe(`grant connect on database ${dbName} to ${role}`);
  }
});

afterAll(async () => {
  for (const handle of opened.splice(0)) await handle.close().catch(() => {});
  await adminInDb?.end();
  await database?.drop();
  for (const role of [MIGRATOR, CONSUMER]) await admin?.unsafe(`drop role if exists ${role}`);
  await admin?.end();
});

describe('database privileges each function needs', () => {
  it('collector: none; it never connects to the database', () => {
    const config = parseCollectorConfig({ KAFKA_BROKERS: '127.0.0.1:9092' });
    expect(JSON.stringify(config)).not.toMatch(/database|postgres/i);
  });

  it('migrations: CONNECT and CREATE on the database (drizzle keeps its journal in schema "drizzle"), USAGE and CREATE on schema public', async () => {
    await adminInDb.unsafe(`grant usage, create on schema public to ${MIGRATOR}`);
    const withoutDatabaseCreate = handleAs(MIGRATOR);
    expect(await outcome(() => migrateDatabase(withoutDatabaseCreate.db))).toBe('42501');

    await admin.unsafe(`grant create on database ${dbName} to ${MIGRATOR}`);
    const migrator = handleAs(MIGRATOR);
    expect(await outcome(() => migrateDatabase(migrator.db))).toBe('ok');
    expect(await outcome(() => migrateDatabase(migrator.db))).toBe('ok'); // again at the next start: a no-op
    const [owner] = await adminInDb`select tableowner from pg_tables where tablename = 'clickstream_data'`;
    expect(owner!.tableowner).toBe(MIGRATOR);
  });

  it('consumer: USAGE on schema public, INSERT and SELECT (event_id) on clickstream_data; INSERT alone is refused by ON CONFLICT', async () => {
    await adminInDb.unsafe(`grant usage on schema public to ${CONSUMER}`);
    // The table's owner, the migration role, grants the consumer its rights.
    const migrator = sqlAs(MIGRATOR);
    await migrator.unsafe(`grant insert on clickstream_data to ${CONSUMER}`);

    const insertOnly = handleAs(CONSUMER);
    await insertOnly.ping(); // readiness needs CONNECT only
    // COPY of new rows needs INSERT alone; the fallback for a redelivered batch needs more.
    expect(await outcome(() => copyCarts(insertOnly.db, insertOnly.copier, [row('insert-only')]))).toBe('ok');
    expect(await outcome(() => insertCarts(insertOnly.db, [row('insert-only, on conflict')]))).toBe('42501');

    await migrator.unsafe(`grant select (event_id) on clickstream_data to ${CONSUMER}`);
    const consumer = handleAs(CONSUMER);
    const rows = [row('first'), row("Robert'); DROP TABLE x;--"), row('<img src=x onerror=alert(1)>')];
    expect(await copyCarts(consumer.db, consumer.copier, rows)).toEqual({ inserted: 3, duplicates: 0 });
    // A redelivered batch: COPY is refused, and ON CONFLICT DO NOTHING skips what is stored, which needs the SELECT on event_id.
    expect(await copyCarts(consumer.db, consumer.copier, [...rows, row('new')])).toEqual({ inserted: 1, duplicates: 3 });
    const stored = await adminInDb`select username from clickstream_data order by username`;
    expect(stored.map((r) => r.username).sort()).toEqual(
      ['insert-only', 'first', "Robert'); DROP TABLE x;--", '<img src=x onerror=alert(1)>', 'new'].sort(),
    );
  });

  it('consumer: can do nothing else, neither read the carts nor change or drop them, nor create anything', async () => {
    const consumer = sqlAs(CONSUMER);
    const attempts: Record<string, string> = {};
    for (const [what, statement] of [
      ['read a username', 'select username from clickstream_data'],
      ['read every column', 'select * from clickstream_data'],
      ['update', `update clickstream_data set username = 'x'`],
      ['delete', 'delete from clickstream_data'],
      ['truncate', 'truncate clickstream_data'],
      ['drop the table', 'drop table clickstream_data'],
      ['alter the table', 'alter table clickstream_data add column x int'],
      ['create a table', 'create table public.intruder (x int)'],
      ['create a schema', 'create schema intruder'],
      ['read the migration journal', 'select * from drizzle.__drizzle_migrations'],
    ] as const) {
      attempts[what] = await outcome(() => consumer.unsafe(statement));
    }
    // 42501 insufficient_privilege; 42501 again for "must be owner" on drop/alter.
    expect(attempts).toEqual(Object.fromEntries(Object.keys(attempts).map((k) => [k, '42501'])));
    expect(Number((await adminInDb`select count(*)::int as n from clickstream_data`)[0]!.n)).toBe(5);
  });
});
