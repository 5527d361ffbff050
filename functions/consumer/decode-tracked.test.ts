import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../../shared/broker-port.ts';
import { FatalError } from '../../shared/errors.ts';
import type { TrackedRow } from '../../db/insert-events.ts';
import { trackedMessage } from '../../test/tracked-events.ts';
import { FakeProducer } from '../lib/fake-producer.ts';
import { createLandingHandler } from './batch-handler.ts';
import type { DeadLetter } from './dead-letter.ts';
import { decodeTracked } from './decode-tracked.ts';
import { createReplayHandler } from './replay.ts';

const encoder = new TextEncoder();
let offset = 0;
function message(text: string | null): IncomingMessage {
  return { topic: 'clickstream.events', partition: 1, offset: String(offset++), key: 'k', value: text === null ? null : encoder.encode(text), headers: {} };
}

describe('decodeTracked', () => {
  it('turns a topic message into a row with its place on the topic', () => {
    const event = trackedMessage();
    const decoded = decodeTracked(message(JSON.stringify(event)));
    expect(decoded).toMatchObject({ ok: true, row: { event: { eventId: event.eventId }, partition: 1 } });
  });

  it('lands a username with a text-direction mark that an older collector let onto the topic', () => {
    const event = trackedMessage({ username: 'ana\u202Eevil' });
    expect(decodeTracked(message(JSON.stringify(event)))).toMatchObject({ ok: true, row: { event: { username: 'ana\u202Eevil' } } });
  });

  it('says why a message can never be a row', () => {
    expect(decodeTracked(message(null))).toEqual({ ok: false, reason: 'empty message (tombstone)' });
    expect(decodeTracked(message('{nope'))).toEqual({ ok: false, reason: 'value is not UTF-8 JSON' });
    const noStamp = { ...trackedMessage(), receivedAt: undefined };
    expect(decodeTracked(message(JSON.stringify(noStamp)))).toMatchObject({ ok: false, reason: expect.stringContaining('receivedAt') });
  });
});

describe('the tracked-events batch handler', () => {
  it('lands the good events in one insert and dead-letters the rest; a refused row is isolated', async () => {
    const inserts: TrackedRow[][] = [];
    const letters: DeadLetter[] = [];
    const refused = trackedMessage({ seq: 666 });
    const handler = createLandingHandler({
      decode: decodeTracked,
      insert: async (rows) => {
        inserts.push([...rows]);
        if (rows.some((r) => r.event.seq === 666)) throw new FatalError('22P02: invalid input');
        return { inserted: rows.length, duplicates: 0 };
      },
      deadLetter: async (batch) => {
        letters.push(...batch);
      },
    });
    const good = [trackedMessage(), trackedMessage()];
    await handler([message(JSON.stringify(good[0])), message('poison'), message(JSON.stringify(refused)), message(JSON.stringify(good[1]))], {
      signal: new AbortController().signal,
    });
    expect(inserts[0]!.map((r) => r.event.eventId)).toEqual([good[0]!.eventId, refused.eventId, good[1]!.eventId]);
    expect(letters.map((l) => l.reason)).toEqual(['value is not UTF-8 JSON', 'database refused: 22P02: invalid input']);
  });
});

describe('replaying tracked dead letters', () => {
  it('sends back to the tracked topic only the letters the tracked decoder now accepts', async () => {
    const producer = new FakeProducer();
    const tally = { replayed: 0, cameBack: 0, stillInvalid: 0, reasons: new Map<string, number>() };
    const replay = createReplayHandler({
      producer,
      eventsTopic: 'clickstream.events',
      all: false,
      dryRun: false,
      tally,
      runId: 'run-t',
      isStorable: (letter) => decodeTracked(letter).ok,
    });
    const fixed = trackedMessage();
    await replay([message(JSON.stringify(fixed)), message('still junk')], { signal: new AbortController().signal });
    expect(tally).toMatchObject({ replayed: 1, stillInvalid: 1 });
    expect(producer.sent.map((s) => s.topic)).toEqual(['clickstream.events']);
    expect(producer.values()[0]).toMatchObject({ eventId: fixed.eventId });
  });
});
