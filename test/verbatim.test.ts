import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLUMN_LIMITS } from '../shared/catalog.ts';
import { startPipeline, type Pipeline } from './pipeline-harness.ts';

/**
 * Stored verbatim: text that looks like SQL, markup, array-literal syntax or escapes goes from the
 * browser's POST through the real broker into Postgres byte for byte. (Rendering it escaped is the
 * page's side: web/escaping.browser.test.ts.)
 */
const USERNAMES = [
  "Robert'); DROP TABLE x;--",
  '<img src=x onerror=alert(1)>',
  '"quoted" \\backslash',
  '<script>alert("x")</script>',
  "' OR '1'='1",
  '{a,b},"c"\\\\d',
  'NULL',
  '\\N',
  '$1 %s ${x} {{y}}',
  '&lt;not-an-entity&gt; &amp;',
  'Zoë 🛒 李 עברית',
  'e\u0301 vs \u00e9', // combining accent vs precomposed: no normalisation
  'zero\u200bwidth',
];

let pipeline: Pipeline;
let raw: postgres.Sql;

beforeAll(async () => {
  pipeline = await startPipeline('verbatim');
  await pipeline.startConsumer();
  raw = postgres(pipeline.database.url, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await raw?.end();
  await pipeline?.close();
});

describe('stored verbatim (real broker, real Postgres)', () => {
  it('every username fits the column, so a refusal would be the bug, not the length', () => {
    for (const name of USERNAMES) expect([...name].length, name).toBeLessThanOrEqual(COLUMN_LIMITS.username);
  });

  it('lands SQL, markup, quotes, backslashes and array-literal syntax in the table byte for byte', async () => {
    const ids = new Map<string, string>();
    for (const username of USERNAMES) {
      const res = await pipeline.postCart({ username, category: 'Hat' });
      expect(res.status, username).toBe(202);
      ids.set(((await res.json()) as { eventId: string }).eventId, username);
    }
    await pipeline.waitForRows(USERNAMES.length);

    const rows = await raw<{ event_id: string; username: string; hex: string; bytes: number }[]>`
      select event_id::text, username, encode(convert_to(username, 'UTF8'), 'hex') as hex, octet_length(username) as bytes
      from clickstream_data`;
    expect(rows).toHaveLength(USERNAMES.length);
    for (const row of rows) {
      const sent = ids.get(row.event_id)!;
      expect(row.username).toBe(sent);
      expect(row.hex, sent).toBe(Buffer.from(sent, 'utf8').toString('hex'));
      expect(row.bytes, sent).toBe(Buffer.byteLength(sent, 'utf8'));
    }
    // And the table the first one names is still there, as is ours.
    const [tables] = await raw`select count(*)::int as n from pg_tables where tablename = 'clickstream_data'`;
    expect(tables!.n).toBe(1);
  });
});
