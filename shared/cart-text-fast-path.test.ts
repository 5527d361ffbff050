import { describe, expect, it } from 'vitest';
import { canonical, cartLike, random } from '../test/cart-samples.ts';
import { cartEventSchema } from './cart-event.ts';
import { fastCartEvent } from './cart-fast-path.ts';
import { fastCartEventFromText } from './cart-text-fast-path.ts';

/** The collector's order of an event's keys; keys it never writes go last. */
const COLLECTOR_ORDER = ['type', 'eventId', 'createdAt', 'username', 'category', 'gender', 'style', 'size', 'hexColor'];

function asCollectorWrites(value: Record<string, unknown>): string {
  const ordered: Record<string, unknown> = {};
  for (const key of COLLECTOR_ORDER) if (key in value) ordered[key] = value[key];
  for (const key of Object.keys(value)) if (!(key in ordered)) Object.defineProperty(ordered, key, { value: value[key], enumerable: true });
  return JSON.stringify(ordered);
}

/** Valid JSON of the same cart that the collector never writes: each must go to JSON.parse. */
function rewritten(next: () => number, text: string, value: Record<string, unknown>): string {
  const roll = next();
  if (roll < 0.2) return JSON.stringify(value); // the generator's own key order
  if (roll < 0.4) return text.replace(':', ': ');
  if (roll < 0.6) return text.replace(/"username":"([^"\\])/, (_, c: string) => `"username":"\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (roll < 0.8) return ` ${text}`;
  // A key written twice: JSON.parse keeps the last.
  return text === '{}' ? ' {}' : `${text.slice(0, -1)},"type":"add_to_cart"}`;
}

describe('text fast path for a cart event (consumer)', () => {
  it('answers only where JSON.parse and zod accept, and with what they return', () => {
    const next = random(20261206);
    let answered = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = cartLike(next, true);
      const written = asCollectorWrites(value);
      const text = next() < 0.25 ? rewritten(next, written, value) : written;
      const quick = fastCartEventFromText(text);
      const parsed = cartEventSchema.safeParse(JSON.parse(text));
      if (!parsed.success) refused++;
      if (quick === undefined) continue;
      answered++;
      expect({ text, success: parsed.success }).toEqual({ text, success: true });
      expect(quick).toStrictEqual(parsed.data);
      expect(quick).toStrictEqual(fastCartEvent(JSON.parse(text)));
    }
    expect(answered).toBeGreaterThan(1_500);
    expect(refused).toBeGreaterThan(2_000);
  });

  it('takes every canonical cart as the collector writes it', () => {
    const next = random(11);
    for (let i = 0; i < 2_000; i++) {
      const text = asCollectorWrites(canonical(next, true));
      expect(fastCartEventFromText(text)).toStrictEqual(cartEventSchema.parse(JSON.parse(text)));
    }
  });

  it('leaves every other writing of a canonical cart to JSON.parse', () => {
    const next = random(12);
    for (let i = 0; i < 2_000; i++) {
      const value = canonical(next, true);
      const text = rewritten(next, asCollectorWrites(value), value);
      expect({ text, quick: fastCartEventFromText(text) }).toEqual({ text, quick: undefined });
    }
  });
});
