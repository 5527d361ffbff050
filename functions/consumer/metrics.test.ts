import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type Pipeline } from '../../test/pipeline-harness.ts';
import type { ConsumerService } from './service.ts';

/** Every sample of a Prometheus text page, `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

let pipeline: Pipeline;
let consumer: ConsumerService;

beforeAll(async () => {
  pipeline = await startPipeline('metrics');
  consumer = await pipeline.startConsumer();
});
afterAll(() => pipeline?.close());

async function consumerMetrics(): Promise<Map<string, number>> {
  const res = await consumer.app.request('/metrics');
  expect(res.status).toBe(200);
  return samples(await res.text());
}

describe('the ledger on a real broker and Postgres', () => {
  it('counts what was received, produced, consumed, inserted, skipped and dead-lettered, and the lag drains to 0', async () => {
    for (let i = 0; i < 5; i++) expect((await pipeline.postCart({ username: `m-${i}` })).status).toBe(202);
    const twice = JSON.stringify({
      type: 'add_to_cart',
      eventId: crypto.randomUUID(),
      createdAt: '2026-11-28T10:00:00.000001Z',
      username: 'twice',
      category: null,
      gender: null,
      style: null,
      size: null,
      hexColor: null,
    });
    await pipeline.producer.produce(pipeline.topics.events, [{ key: 'twice', value: twice }]);
    await pipeline.producer.produce(pipeline.topics.events, [{ key: 'twice', value: twice }]);
    await pipeline.producer.produce(pipeline.topics.events, [{ key: 'poison', value: '{not json' }]);

    // The ledger counts a batch when its rows land; the lag is reported once its offsets are
    // committed, a moment later: wait for both.
    const lagging = (m: Map<string, number>) => [...m].some(([name, value]) => name.startsWith('clickstream_consumer_lag{') && value > 0);
    const deadline = Date.now() + 30_000;
    let m = await consumerMetrics();
    while (((m.get('clickstream_consumed_total') ?? 0) < 8 || lagging(m)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      m = await consumerMetrics();
    }
    expect(m.get('clickstream_consumed_total')).toBe(8);
    expect(m.get('clickstream_inserted_total')).toBe(6);
    expect(m.get('clickstream_duplicates_skipped_total')).toBe(1);
    expect(m.get('clickstream_dead_lettered_total')).toBe(1);
    expect(m.get('clickstream_batch_size_sum')).toBe(8);
    expect(m.get('clickstream_insert_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(m.get('clickstream_consumer_outage')).toBe(0);
    expect(await pipeline.database.count()).toBe(6);

    const lag = [...m].filter(([name]) => name.startsWith('clickstream_consumer_lag{'));
    expect(lag.length, 'lag is reported for the partitions read').toBeGreaterThan(0);
    expect(lag.every(([name]) => /^clickstream_consumer_lag\{partition="\d+"\}$/.test(name))).toBe(true);
    expect(Object.fromEntries(lag)).toEqual(Object.fromEntries(lag.map(([name]) => [name, 0])));

    const collector = samples(await (await fetch(`${pipeline.url}/metrics`)).text());
    expect(collector.get('clickstream_received_total')).toBe(5);
    expect(collector.get('clickstream_produced_total')).toBe(5);
    expect(collector.get('clickstream_acknowledged_total')).toBe(5);
  });
});
