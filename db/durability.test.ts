import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';
import { openDatabase } from './client.ts';
import { nonDurableSettings } from './durability.ts';

// The tests' Postgres runs with fsync and synchronous_commit off (test/global-setup.ts), so a
// database can turn synchronous_commit back on for itself, but not fsync.
describe('nonDurableSettings on a real Postgres', () => {
  let database: FreshDatabase;
  beforeAll(async () => {
    database = await freshDatabase('durability', { migrate: false });
  });
  afterAll(() => database?.drop());

  it('names each setting that lets a committed row be lost', async () => {
    expect(await nonDurableSettings(database.db)).toEqual(['fsync=off', 'synchronous_commit=off']);
  });

  it('reads what the sessions of this database get, not the server file', async () => {
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`alter database ${new URL(database.url).pathname.slice(1)} set synchronous_commit = 'local'`);
    await admin.end();
    const fresh = openDatabase(database.url, { poolSize: 1 });
    try {
      expect(await nonDurableSettings(fresh.db)).toEqual(['fsync=off']);
    } finally {
      await fresh.close();
    }
  });
});
