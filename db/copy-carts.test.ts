import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CartEvent } from '../shared/cart-event.ts';
import { DatabaseUnavailableError, FatalError } from '../shared/errors.ts';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';
import { type DatabaseHandle, openDatabase } from './client.ts';
import { copyCarts } from './copy-carts.ts';
import type { CopyWriter } from './copy-writer.ts';
import type { CartRow } from './insert-carts.ts';

let database: FreshDatabase;
beforeAll(async () => {
  database = await freshDatabase('copy_carts');
});
afterAll(() => database?.drop());

function row(username: string, offset = 0, eventId: string = crypto.randomUUID()): CartRow {
  const event: CartEvent = {
    type: 'add_to_cart',
    eventId,
    createdAt: '2026-11-28T01:02:03.456789Z',
    username,
    category: 'Hat',
    gender: null,
    style: null,
    size: 'M',
    hexColor: '#00ff00',
  };
  return { event, partition: 0, offset: String(offset) };
}

/** The real copier, recording what each copy did. */
function recording(copier: CopyWriter) {
  const outcomes: string[] = [];
  const wrapped: CopyWriter = {
    async copy(statement, text) {
      try {
        const n = await copier.copy(statement, text);
        outcomes.push(`copied ${n}`);
        return n;
      } catch (error) {
        outcomes.push(`refused ${(error as { code?: string }).code}`);
        throw error;
      }
    },
    close: () => copier.close(),
  };
  return { copier: wrapped, outcomes };
}

// The same behaviour whether the COPY runs on this thread or on a worker thread of its own (as the Node consumer runs it).
const COPY_PLACES: [where: string, copyOnThread: boolean][] = [
  ['on this thread', false],
  ['on a thread of its own', true],
];

describe.each(COPY_PLACES)('copyCarts, COPY %s', (_where, copyOnThread) => {
  let handle: DatabaseHandle;
  beforeAll(() => {
    handle = openDatabase(database.url, { copyOnThread });
  });
  afterAll(() => handle?.close());

  it('stores a fresh batch with one COPY', async () => {
    const { copier, outcomes } = recording(handle.copier);
    const rows = [row('a', 1), row('b', 2), row('c', 3)];
    expect(await copyCarts(handle.db, copier, rows)).toEqual({ inserted: 3, duplicates: 0 });
    expect(outcomes).toEqual(['copied 3']);
  });

  it('falls back to INSERT … ON CONFLICT when one event is stored already, storing the rest once', async () => {
    const stored = row('stored', 10);
    await copyCarts(handle.db, handle.copier, [stored]);
    const before = await database.count();
    const { copier, outcomes } = recording(handle.copier);
    const batch = [row('new-1', 11), stored, row('new-2', 12)];
    expect(await copyCarts(handle.db, copier, batch)).toEqual({ inserted: 2, duplicates: 1 });
    expect(outcomes).toEqual(['refused 23505']);
    expect((await database.count()) - before).toBe(2);
    // The refused COPY left its connection usable: the next one goes through.
    expect(await copyCarts(handle.db, copier, [row('after', 13)])).toEqual({ inserted: 1, duplicates: 0 });
    expect(outcomes).toEqual(['refused 23505', 'copied 1']);
  });

  it('says a row Postgres refuses as data is fatal, storing nothing of its batch', async () => {
    const before = await database.count();
    const tooLong = row('x'.repeat(40), 20);
    const error = await copyCarts(handle.db, handle.copier, [row('fine', 21), tooLong]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FatalError);
    expect((error as Error).message).toMatch(/^22001/);
    expect(await database.count()).toBe(before);
  });

  it('says an unreachable server is an outage, to be retried', async () => {
    const url = new URL(database.url);
    url.port = '1';
    const nowhere = openDatabase(url.href, { connectTimeoutSeconds: 2, copyOnThread });
    try {
      const error = await copyCarts(nowhere.db, nowhere.copier, [row('lost')]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
    } finally {
      await nowhere.close();
    }
  });
});

/** A TCP proxy to the test Postgres that can reset every connection through it, as a crashed server's host would. */
async function resettingProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let forwarded = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    client.on('data', (chunk) => (forwarded += chunk.length));
    client.pipe(upstream).pipe(client);
    const drop = () => {
      sockets.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.href,
    forwarded: () => forwarded,
    reset: () => {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(COPY_PLACES)('copyCarts when the connection is reset mid-COPY, COPY %s', (_where, copyOnThread) => {
  it('rejects as an outage without an unhandled error event, and copies again afterwards', async () => {
    const proxy = await resettingProxy(new URL(database.url));
    const handle = openDatabase(proxy.url, { connectTimeoutSeconds: 2, copyOnThread });
    try {
      const rows = Array.from({ length: 100_000 }, (_, i) => row(`bulk-${i}`, i));
      const copying = copyCarts(handle.db, handle.copier, rows).catch((e: unknown) => e);
      await expect.poll(() => proxy.forwarded(), { interval: 5, timeout: 10_000 }).toBeGreaterThan(1_000_000);
      proxy.reset();
      expect(await copying).toBeInstanceOf(DatabaseUnavailableError);
      expect(await copyCarts(handle.db, handle.copier, [row('after the reset')])).toEqual({ inserted: 1, duplicates: 0 });
    } finally {
      await handle.close();
      await proxy.close();
    }
  });
});
