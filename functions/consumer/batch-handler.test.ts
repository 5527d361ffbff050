import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../shared/broker-port.ts';
import { DatabaseUnavailableError, FatalError } from '../../shared/errors.ts';
import type { CartRow } from '../../db/insert-carts.ts';
import { createBatchHandler, createLandingHandler, splitForStatements } from './batch-handler.ts';
import type { DeadLetter } from './dead-letter.ts';
import { toDeadLetterMessage } from './dead-letter.ts';

const encoder = new TextEncoder();
let offset = 0;

function message(value: unknown, raw = false): IncomingMessage {
  const text = raw ? String(value) : JSON.stringify(value);
  return { topic: 'clickstream', partition: 0, offset: String(offset++), key: 'k', value: encoder.encode(text), headers: {} };
}

function cart(username: string, eventId = crypto.randomUUID()) {
  return {
    type: 'add_to_cart',
    eventId,
    createdAt: '2026-11-28T01:02:03.456789Z',
    username,
    category: 'Hat',
    gender: null,
    style: null,
    size: 'S',
    hexColor: '#00ff00',
  };
}

function fixture() {
  const stored = new Map<string, CartRow>();
  const insertCalls: number[] = [];
  const letters: DeadLetter[] = [];
  let failuresLeft = 0;
  const handler = createBatchHandler({
    insertCarts: async (rows) => {
      insertCalls.push(rows.length);
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new DatabaseUnavailableError('ECONNREFUSED');
      }
      let inserted = 0;
      for (const row of rows) {
        if (!stored.has(row.event.eventId)) {
          stored.set(row.event.eventId, row);
          inserted++;
        }
      }
      return { inserted, duplicates: rows.length - inserted };
    },
    deadLetter: async (l) => void letters.push(...l),
    backoff: { initialMs: 1, maxMs: 5 },
  });
  const run = (batch: IncomingMessage[], signal = new AbortController().signal) => handler(batch, { signal });
  return { stored, insertCalls, letters, run, failFor: (n: number) => (failuresLeft = n) };
}

describe('batch handler', () => {
  it('inserts a whole batch in one call', async () => {
    const f = fixture();
    await f.run([message(cart('a')), message(cart('b')), message(cart('c'))]);
    expect(f.insertCalls).toEqual([3]);
    expect([...f.stored.values()].map((r) => r.event.username).sort()).toEqual(['a', 'b', 'c']);
  });

  it('keeps topic lineage on each row', async () => {
    const f = fixture();
    const m = message(cart('a'));
    await f.run([m]);
    expect([...f.stored.values()][0]).toMatchObject({ partition: 0, offset: m.offset });
  });

  it('stores a redelivered message once', async () => {
    const f = fixture();
    const m = message(cart('a'));
    await f.run([m, m]);
    await f.run([m]);
    expect(f.stored.size).toBe(1);
  });

  it('dead-letters what cannot be a cart and lands the rest', async () => {
    const f = fixture();
    await f.run([
      message(cart('good')),
      message('{not json', true),
      message({ ...cart('x'), category: 'Spaceship' }),
      message({ ...cart('nul\u0000') }),
      message([1, 2]),
    ]);
    expect([...f.stored.values()].map((r) => r.event.username)).toEqual(['good']);
    expect(f.letters.map((l) => l.reason)).toEqual([
      'value is not JSON',
      expect.stringContaining('category'),
      expect.stringContaining('username'),
      expect.stringContaining('invalid cart event'),
    ]);
  });

  it('dead letters carry the original bytes and where they came from', () => {
    const m = message('{oops', true);
    const out = toDeadLetterMessage({ message: m, reason: 'value is not JSON' });
    expect(new TextDecoder().decode(out.value as Uint8Array)).toBe('{oops');
    expect(out.headers).toMatchObject({
      'dlq.reason': 'value is not JSON',
      'dlq.source.topic': 'clickstream',
      'dlq.source.partition': '0',
      'dlq.source.offset': m.offset,
    });
  });

  it('retries while the database is down and resolves only once the rows are stored', async () => {
    const f = fixture();
    f.failFor(3);
    await f.run([message(cart('a'))]);
    expect(f.insertCalls).toEqual([1, 1, 1, 1]);
    expect(f.stored.size).toBe(1);
  });

  it('gives up (so nothing is committed) when the consumer closes during an outage', async () => {
    const f = fixture();
    f.failFor(1_000_000);
    const closing = new AbortController();
    const pending = f.run([message(cart('a'))], closing.signal);
    setTimeout(() => closing.abort(new Error('closing')), 20);
    await expect(pending).rejects.toThrow();
    expect(f.stored.size).toBe(0);
  });

  it('isolates a row the database refuses as data and dead-letters only that one', async () => {
    const letters: DeadLetter[] = [];
    const stored: string[] = [];
    let statements = 0;
    const handler = createBatchHandler({
      insertCarts: async (rows) => {
        statements++;
        if (rows.some((r) => r.event.username === 'bad')) throw new FatalError('22001: value too long');
        stored.push(...rows.map((r) => r.event.username));
        return { inserted: rows.length, duplicates: 0 };
      },
      deadLetter: async (l) => void letters.push(...l),
    });
    const names = ['a', 'b', 'c', 'd', 'e', 'bad', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o'];
    await handler(names.map((n) => message(cart(n))), { signal: new AbortController().signal });
    expect(stored.sort()).toEqual(names.filter((n) => n !== 'bad').sort());
    // Halving: 1 + 2 per level over log2(16) levels, far fewer than a statement per row.
    expect(statements).toBeLessThanOrEqual(1 + 2 * Math.log2(names.length));
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toContain('22001');
  });
});

describe('decoding', () => {
  it('dead-letters impossible timestamps that Postgres would refuse', async () => {
    const f = fixture();
    await f.run([message({ ...cart('a'), createdAt: '2026-02-30T25:61:00.000000Z' })]);
    expect(f.stored.size).toBe(0);
    expect(f.letters[0]!.reason).toContain('createdAt');
  });

  it('dead-letters bytes that are not UTF-8', async () => {
    const f = fixture();
    const m = { ...message('x', true), value: new Uint8Array([0xff, 0xfe, 0x7b]) };
    await f.run([m]);
    expect(f.letters[0]!.reason).toBe('value is not valid UTF-8');
  });
});

describe('splitForStatements', () => {
  it('splits evenly into at most the asked number of slices, none under 250 rows', () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    expect(splitForStatements(items, 2).map((s) => s.length)).toEqual([500, 500]);
    expect(splitForStatements(items, 3).map((s) => s.length)).toEqual([334, 334, 332]);
    expect(splitForStatements(items.slice(0, 499), 2).map((s) => s.length)).toEqual([499]);
    expect(splitForStatements([], 4)).toEqual([[]]);
    expect(splitForStatements(items, 2).flat()).toEqual(items);
  });
});

describe('batch handler with parallel inserts', () => {
  it('runs the slices at once, and settles only when every slice has', async () => {
    const started: number[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = 0;
    const handler = createBatchHandler({
      insertCarts: async (rows) => {
        started.push(rows.length);
        if (started.length === 1) throw new Error('a bug in one slice');
        await gate;
        finished++;
        return { inserted: rows.length, duplicates: 0 };
      },
      deadLetter: async () => {},
      parallelInserts: 2,
    });
    const batch = Array.from({ length: 600 }, (_, i) => message(cart(`u${i}`)));
    let settled = false;
    const outcome = handler(batch, { signal: new AbortController().signal }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual([300, 300]);
    expect(settled).toBe(false);
    release();
    await expect(outcome).rejects.toThrow('a bug in one slice');
    expect(finished).toBe(1);
  });

  it('lands a split batch whole: every row once, the counts summed', async () => {
    const stored = new Set<string>();
    const landed: number[] = [];
    const handler = createBatchHandler({
      insertCarts: async (rows) => {
        let inserted = 0;
        for (const row of rows) if (!stored.has(row.event.eventId) && stored.add(row.event.eventId)) inserted++;
        return { inserted, duplicates: rows.length - inserted };
      },
      deadLetter: async () => {},
      parallelInserts: 4,
      onLanded: ({ consumed, inserted, duplicates, deadLettered }) => landed.push(consumed, inserted, duplicates, deadLettered),
    });
    const batch = Array.from({ length: 1000 }, (_, i) => message(cart(`u${i}`)));
    // Not carts, one in the first slice and one in the last: dead-lettered, counted once.
    const junk = [message('not json', true), message({ type: 'add_to_cart' })];
    await handler([junk[0]!, ...batch, ...batch.slice(0, 10), junk[1]!], { signal: new AbortController().signal });
    expect(stored.size).toBe(1000);
    expect(landed).toEqual([1012, 1000, 10, 2]);
  });

  it("starts each slice's insert as soon as that slice is decoded, before decoding the next", async () => {
    let decoded = 0;
    const decodedAtInsert: number[] = [];
    const handler = createLandingHandler<number>({
      decode: () => ({ ok: true, row: decoded++ }),
      insert: async (rows) => {
        decodedAtInsert.push(decoded);
        return { inserted: rows.length, duplicates: 0 };
      },
      deadLetter: async () => {},
      parallelInserts: 3,
    });
    await handler(Array.from({ length: 900 }, (_, i) => message(i)), { signal: new AbortController().signal });
    expect(decodedAtInsert).toEqual([300, 600, 900]);
  });

  it('when decoding throws, fails the batch only after the slices already started have settled', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = 0;
    let decoded = 0;
    const handler = createLandingHandler<number>({
      decode: () => {
        if (++decoded === 450) throw new Error('a bug in decode');
        return { ok: true, row: decoded };
      },
      insert: async (rows) => {
        await gate;
        finished++;
        return { inserted: rows.length, duplicates: 0 };
      },
      deadLetter: async () => {},
      parallelInserts: 2,
    });
    let settled = false;
    const outcome = handler(Array.from({ length: 600 }, (_, i) => message(i)), { signal: new AbortController().signal }).finally(
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    release();
    await expect(outcome).rejects.toThrow('a bug in decode');
    expect(finished).toBe(1);
  });

  it('reports one outage while slices retry side by side, ending it only once the last slice is stored', async () => {
    const log: string[] = [];
    const failuresLeft = new Map([['a0', 1], ['b0', 3]]);
    const handler = createBatchHandler({
      insertCarts: async (rows) => {
        const first = rows[0]!.event.username;
        const left = failuresLeft.get(first)!;
        if (left > 0) {
          failuresLeft.set(first, left - 1);
          throw new DatabaseUnavailableError('ECONNREFUSED');
        }
        log.push(`stored ${first}`);
        return { inserted: rows.length, duplicates: 0 };
      },
      deadLetter: async () => {},
      backoff: { initialMs: 1, maxMs: 2 },
      parallelInserts: 2,
      onOutage: (down) => log.push(down ? 'down' : 'up'),
    });
    const batch = [
      ...Array.from({ length: 300 }, (_, i) => message(cart(`a${i}`))),
      ...Array.from({ length: 300 }, (_, i) => message(cart(`b${i}`))),
    ];
    await handler(batch, { signal: new AbortController().signal });
    expect(log).toEqual(['down', 'stored a0', 'stored b0', 'up']);
  });

  it('ends an outage when the database answers again, even by refusing a row as data', async () => {
    const outages: boolean[] = [];
    let calls = 0;
    const handler = createBatchHandler({
      insertCarts: async (rows) => {
        if (calls++ === 0) throw new DatabaseUnavailableError('ECONNREFUSED');
        if (rows.some((row) => row.event.username === 'refused')) throw new FatalError('value too long');
        return { inserted: rows.length, duplicates: 0 };
      },
      deadLetter: async () => {},
      backoff: { initialMs: 1, maxMs: 2 },
      onOutage: (down) => outages.push(down),
    });
    await handler([message(cart('kept')), message(cart('refused'))], { signal: new AbortController().signal });
    expect(outages).toEqual([true, false]);
  });
});
