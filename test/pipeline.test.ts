import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../shared/logger.ts';
import { startPipeline, type Pipeline } from './pipeline-harness.ts';

let pipeline: Pipeline;
const warnings: { obj: object; msg?: string }[] = [];
beforeAll(async () => {
  pipeline = await startPipeline('e2e');
  await pipeline.startConsumer({ ...silentLogger, warn: (obj, msg) => warnings.push({ obj, msg }) });
});
afterAll(() => pipeline?.close());

/** Runs `total` tasks with `concurrency` of them in flight at once. */
async function concurrently<T>(total: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(total);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

describe('the pipeline end to end (real broker, real Postgres)', () => {
  it('warns at start that this Postgres can lose committed rows (the tests run it with fsync and synchronous_commit off)', async () => {
    await vi.waitFor(() =>
      expect(warnings).toContainEqual({
        obj: { settings: ['fsync=off', 'synchronous_commit=off'] },
        msg: expect.stringMatching(/keep fsync and synchronous_commit on/),
      }),
    );
  });

  it('lands one cart as exactly one row with every field intact, unicode included', async () => {
    const before = await pipeline.database.count();
    const res = await pipeline.postCart({
      username: 'Łukasz 🛍️ 李',
      category: 'Jacket',
      gender: 'Unisex',
      style: 'Outdoor',
      size: 'XS',
      hexColor: '#FF8800',
    });
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    await pipeline.waitForRows(before + 1);
    const rows = (await pipeline.database.rows()).filter((r) => r.event_id === eventId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      username: 'Łukasz 🛍️ 李',
      category: 'Jacket',
      gender: 'Unisex',
      style: 'Outdoor',
      size: 'XS',
      hex_color: '#ff8800',
    });
    expect(rows[0]!.created_text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  });

  it('lands 1,000 carts from concurrent clients as 1,000 rows', async () => {
    const before = await pipeline.database.count();
    const ids = await concurrently(1000, 50, async (i) => {
      const res = await pipeline.postCart({ username: `user-${i % 10}`, size: 'M' });
      expect(res.status).toBe(202);
      return ((await res.json()) as { eventId: string }).eventId;
    });
    expect(new Set(ids).size).toBe(1000);
    await pipeline.waitForRows(before + 1000);
    await new Promise((r) => setTimeout(r, 500));
    const stored = new Set((await pipeline.database.rows()).map((r) => r.event_id));
    expect(stored.size - before).toBe(1000);
    expect(ids.every((id) => stored.has(id))).toBe(true);
  });

  it('turns the same Kafka message produced three times into one row', async () => {
    const before = await pipeline.database.count();
    const event = {
      type: 'add_to_cart',
      eventId: crypto.randomUUID(),
      createdAt: '2026-11-28T10:00:00.000001Z',
      username: 'thrice',
      category: null,
      gender: null,
      style: null,
      size: null,
      hexColor: null,
    };
    for (let i = 0; i < 3; i++) {
      await pipeline.producer.produce(pipeline.topics.events, [{ key: 'thrice', value: JSON.stringify(event) }]);
    }
    const marker = await pipeline.postCart({ username: 'thrice' });
    await pipeline.waitForRows(before + 2);
    await new Promise((r) => setTimeout(r, 500));
    const rows = (await pipeline.database.rows()).filter((r) => r.username === 'thrice');
    expect(marker.status).toBe(202);
    expect(rows.filter((r) => r.event_id === event.eventId)).toHaveLength(1);
  });
});

describe('consumer restart', () => {
  it('loses nothing and doubles nothing when the consumer stops and restarts mid-stream', async () => {
    const p = await startPipeline('restart');
    try {
      let consumer = await p.startConsumer();
      const total = 600;
      let sent = 0;
      const sender = (async () => {
        const ids: string[] = [];
        for (; sent < total; sent++) {
          const res = await p.postCart({ username: `r-${sent % 7}` });
          expect(res.status).toBe(202);
          ids.push(((await res.json()) as { eventId: string }).eventId);
        }
        return ids;
      })();
      while (sent < total / 3) await new Promise((r) => setTimeout(r, 20));
      await consumer.stop();
      const whileStopped = sent;
      while (sent < (2 * total) / 3) await new Promise((r) => setTimeout(r, 20));
      expect(sent).toBeGreaterThan(whileStopped);
      consumer = await p.startConsumer();
      const ids = await sender;
      await p.waitForRows(total);
      await new Promise((r) => setTimeout(r, 1000));
      const rows = await p.database.rows();
      expect(rows).toHaveLength(total);
      expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(ids));
    } finally {
      await p.close();
    }
  });
});
