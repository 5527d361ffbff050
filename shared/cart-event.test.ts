import { describe, expect, it } from 'vitest';
import { cartEventSchema, cartRequestSchema, isRealByDate, isRealInstant } from './cart-event.ts';
import { trackedEventMessageSchema, trackedEventSchema } from './tracked-event.ts';
import { trackedMessage } from '../test/tracked-events.ts';

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const timestamp = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
  `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.123456Z`;

describe('isRealInstant', () => {
  it('knows the calendar: leap days, month lengths, and the last microsecond of a day', () => {
    expect(isRealInstant('2024-02-29T12:00:00.000000Z')).toBe(true);
    expect(isRealInstant('2023-02-29T12:00:00.000000Z')).toBe(false);
    expect(isRealInstant('2000-02-29T00:00:00.000000Z')).toBe(true);
    expect(isRealInstant('1900-02-29T00:00:00.000000Z')).toBe(false);
    expect(isRealInstant('2026-04-31T00:00:00.000000Z')).toBe(false);
    expect(isRealInstant('2026-12-31T23:59:59.999999Z')).toBe(true);
    for (const bad of ['2026-00-10', '2026-13-10', '2026-01-00']) expect(isRealInstant(`${bad}T00:00:00.000000Z`)).toBe(false);
    for (const bad of ['24:00:00', '23:60:00', '23:59:60']) expect(isRealInstant(`2026-01-01T${bad}.000000Z`)).toBe(false);
  });

  it("agrees with JavaScript's Date on 200,000 timestamps of the layout, edge values favoured", () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    const edgy = (edges: number[], max: number) => (random(3) === 0 ? random(max + 1) : edges[random(edges.length)]!);
    const disagreements: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      const text = timestamp(
        edgy([0, 1, 1900, 2000, 2023, 2024, 2100, 9999], 9999),
        edgy([0, 1, 2, 4, 6, 9, 11, 12, 13], 99),
        edgy([0, 1, 28, 29, 30, 31, 32], 99),
        edgy([0, 23, 24], 99),
        edgy([0, 59, 60], 99),
        edgy([0, 59, 60], 99),
      );
      if (isRealInstant(text) !== isRealByDate(text)) disagreements.push(text);
    }
    expect(disagreements).toEqual([]);
  });

  it('judges text outside the layout as Date does', () => {
    for (const text of ['2026-11-28T01:02:03Z', 'not a time', '', '2026-11-28']) {
      expect(isRealInstant(text)).toBe(isRealByDate(text));
    }
  });
});

describe('text-direction marks in a username', () => {
  const marked = 'ana\u202Eevil';
  const event = { type: 'add_to_cart', eventId: '0190a5b4-7c1e-7d3a-9f00-1234567890ab', createdAt: '2026-11-28T04:05:06.123456Z', username: marked };

  it('are refused where input arrives: a cart request, a tracked event', () => {
    expect(cartRequestSchema.safeParse({ username: marked }).error?.issues[0]?.message).toBe('must not contain text-direction marks');
    const { receivedAt, occurredAt, ipTruncated, userAgent, ...sent } = trackedMessage();
    expect(trackedEventSchema.safeParse({ ...sent, username: 'ana' }).success).toBe(true);
    expect(trackedEventSchema.safeParse({ ...sent, username: marked }).success).toBe(false);
  });

  it('still land from the topic, where an older collector may have put them', () => {
    expect(cartEventSchema.safeParse(event).success).toBe(true);
    expect(trackedEventMessageSchema.safeParse(trackedMessage({ username: marked })).success).toBe(true);
  });
});
