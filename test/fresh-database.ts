import postgres from 'postgres';
import { inject } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';

export interface FreshDatabase extends DatabaseHandle {
  readonly url: string;
  /** Every row of clickstream_data, oldest first; created_text always shows six digits of microseconds (::text drops trailing zeros). */
  rows(): Promise<Record<string, unknown>[]>;
  count(): Promise<number>;
  drop(): Promise<void>;
}

/** A new, migrated database on the test Postgres server, so test files never share rows. */
export async function freshDatabase(label: string, options: { migrate?: boolean } = {}): Promise<FreshDatabase> {
  const serverUrl = new URL(inject('databaseUrl'));
  const name = `cs_${label.replace(/\W/g, '_')}_${crypto.randomUUID().slice(0, 8)}`.toLowerCase();
  const admin = postgres(serverUrl.href, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = openDatabase(url.href);
  if (options.migrate ?? true) await migrateDatabase(handle.db);
  const raw = postgres(url.href, { max: 1, onnotice: () => {} });
  return {
    ...handle,
    url: url.href,
    rows: () => raw`select *, to_char(creation_timestamp, 'YYYY-MM-DD HH24:MI:SS.US') as created_text from clickstream_data order by creation_timestamp, event_id`,
    count: async () => Number((await raw`select count(*)::int as n from clickstream_data`)[0]!.n),
    async drop() {
      await handle.close();
      await raw.end();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
