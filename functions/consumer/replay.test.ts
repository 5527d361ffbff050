import { expect, it } from 'vitest';
import type { IncomingMessage } from '../../shared/broker-port.ts';
import { FakeProducer } from '../lib/fake-producer.ts';
import { createReplayHandler, type ReplayTally } from './replay.ts';

const letter = (value: string, headers: Record<string, string> = {}): IncomingMessage => ({
  topic: 'clickstream.dlq',
  partition: 1,
  offset: '7',
  key: 'k',
  value: new TextEncoder().encode(value),
  headers: { 'dlq.reason': 'value is not JSON', 'dlq.source.offset': '3', trace: 't1', ...headers },
});
const validCart = JSON.stringify({
  type: 'add_to_cart', eventId: crypto.randomUUID(), createdAt: '2026-11-28T01:02:03.456789Z',
  username: 'fixed', category: null, gender: null, style: null, size: null, hexColor: null,
});

function setup(all = false) {
  const producer = new FakeProducer();
  const tally: ReplayTally = { replayed: 0, cameBack: 0, stillInvalid: 0, reasons: new Map() };
  const handler = createReplayHandler({ producer, eventsTopic: 'clickstream', all, dryRun: false, tally, runId: 'run-1' });
  return { producer, tally, replay: (batch: IncomingMessage[]) => handler(batch, { signal: new AbortController().signal }) };
}

it('replays letters that are now valid with their key and headers, minus the dead-letter ones', async () => {
  const { producer, tally, replay } = setup();
  await replay([letter(validCart), letter('still junk')]);
  expect(tally).toMatchObject({ replayed: 1, stillInvalid: 1 });
  expect(producer.sent).toHaveLength(1);
  expect(producer.sent[0]!.topic).toBe('clickstream');
  expect(producer.sent[0]!.message.key).toBe('k');
  expect(producer.sent[0]!.message.headers).toEqual({
    trace: 't1',
    'dlq.replayed.from': 'clickstream.dlq/1/7',
    'dlq.replay.run': 'run-1',
  });
});

it('with --all replays invalid letters too, but never one this run already sent back', async () => {
  const { producer, tally, replay } = setup(true);
  await replay([letter('junk'), letter('junk', { 'dlq.replay.run': 'run-1' })]);
  expect(producer.sent).toHaveLength(1);
  expect(tally).toMatchObject({ replayed: 1, cameBack: 1 });
});
