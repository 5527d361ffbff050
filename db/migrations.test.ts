import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, expect, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';

const run = promisify(execFile);
const created: FreshDatabase[] = [];
afterAll(() => Promise.all(created.map((d) => d.drop())));

async function emptyDatabase(label: string) {
  const database = await freshDatabase(label, { migrate: false });
  created.push(database);
  return database;
}

async function describeTable(url: string, table = 'clickstream_data') {
  const sql = postgres(url, { max: 1 });
  try {
    const columns = await sql`
      select column_name, data_type, character_maximum_length, datetime_precision, is_nullable
      from information_schema.columns where table_name = ${table} order by column_name`;
    const indexes = await sql`select indexdef from pg_indexes where tablename = ${table} order by indexname`;
    return { columns: [...columns], indexes: indexes.map((i) => i.indexdef) };
  } finally {
    await sql.end();
  }
}

it('`npm run db:migrate` and `npx drizzle-kit push` both create the same table on an empty database', async () => {
  const migrated = await emptyDatabase('migrate');
  const pushed = await emptyDatabase('push');
  await run('npm', ['run', '--silent', 'db:migrate'], { env: { ...process.env, DATABASE_URL: migrated.url } });
  await run('npx', ['drizzle-kit', 'push', '--force'], { env: { ...process.env, DATABASE_URL: pushed.url } });

  const viaMigrate = await describeTable(migrated.url);
  const viaPush = await describeTable(pushed.url);
  expect(viaMigrate.columns.length).toBeGreaterThan(0);
  expect(viaPush).toEqual(viaMigrate);
  const byName = Object.fromEntries(viaMigrate.columns.map((c) => [c.column_name, c]));
  // The seed's columns, with the seed's types.
  expect(byName.username).toMatchObject({ data_type: 'character varying', character_maximum_length: 32, is_nullable: 'NO' });
  expect(byName.creation_timestamp).toMatchObject({ data_type: 'timestamp without time zone', datetime_precision: 6, is_nullable: 'NO' });
  expect(byName.category).toMatchObject({ character_maximum_length: 10, is_nullable: 'YES' });
  expect(byName.gender).toMatchObject({ character_maximum_length: 10 });
  expect(byName.style).toMatchObject({ character_maximum_length: 20 });
  expect(byName.size).toMatchObject({ character_maximum_length: 5 });
  expect(byName.hex_color).toMatchObject({ character_maximum_length: 8 });
  expect(byName.event_id).toMatchObject({ data_type: 'uuid' });
  expect(viaMigrate.indexes.join('\n')).toMatch(/PRIMARY KEY|clickstream_data_pkey.*\(event_id\)/);
  expect(viaMigrate.indexes.join('\n')).toMatch(/\(username, creation_timestamp\)/);

  // The tracker's events table (migration 0001) matches the schema too.
  const eventsViaMigrate = await describeTable(migrated.url, 'events');
  expect(await describeTable(pushed.url, 'events')).toEqual(eventsViaMigrate);
  const events = Object.fromEntries(eventsViaMigrate.columns.map((c) => [c.column_name, c]));
  expect(events.event_id).toMatchObject({ data_type: 'uuid', is_nullable: 'NO' });
  expect(events.occurred_at).toMatchObject({ data_type: 'timestamp with time zone', datetime_precision: 6 });
  expect(events.properties).toMatchObject({ data_type: 'jsonb', is_nullable: 'NO' });
  expect(events.ip_truncated).toMatchObject({ data_type: 'inet' });
  expect(eventsViaMigrate.indexes.join('\n')).toMatch(/events_pkey.*\(event_id\)/);
  expect(eventsViaMigrate.indexes.join('\n')).toMatch(/\(session_id, seq\)/);
}, 120_000);

it('running the migrations twice is harmless', async () => {
  const database = await emptyDatabase('twice');
  const env = { ...process.env, DATABASE_URL: database.url };
  await run('npm', ['run', '--silent', 'db:migrate'], { env });
  const { stdout } = await run('npm', ['run', '--silent', 'db:migrate'], { env });
  expect(stdout).toContain('migrations applied');
}, 60_000);
