import process from 'node:process';
import { openDatabase } from './client.ts';
import { migrateDatabase } from './migrate.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/clickstream');
  process.exit(2);
}
const handle = openDatabase(url, { poolSize: 1 });
try {
  await migrateDatabase(handle.db);
  console.log('migrations applied');
} finally {
  await handle.close();
}
