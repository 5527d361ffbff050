import { describe, expect, it } from 'vitest';
import { cartEventSchema, cartRequestSchema } from './cart-event.ts';
import { fastCartEvent, fastCartRequest } from './cart-fast-path.ts';
import { canonical, cartLike, random } from '../test/cart-samples.ts';

describe.each([
  { name: 'cart event (consumer)', fast: fastCartEvent, schema: cartEventSchema, event: true },
  { name: 'cart request (collector)', fast: fastCartRequest, schema: cartRequestSchema, event: false },
])('fast path for a $name', ({ fast, schema, event }) => {
  it('answers only where zod accepts, and with what zod returns', () => {
    const next = random(20261128);
    let answered = 0;
    let refusedByZod = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = cartLike(next, event);
      const quick = fast(input);
      const slow = schema.safeParse(input);
      if (!slow.success) refusedByZod++;
      if (quick === undefined) continue;
      answered++;
      expect({ input, success: slow.success }).toEqual({ input, success: true });
      expect(quick).toStrictEqual(slow.data);
    }
    // The generator exercises both sides: some carts taken by the fast path, many refused by zod.
    expect(answered).toBeGreaterThan(2_000);
    expect(refusedByZod).toBeGreaterThan(2_000);
  });

  it('takes every canonical cart, so zod runs only for the unusual ones', () => {
    const next = random(7);
    for (let i = 0; i < 2_000; i++) {
      const input = canonical(next, event);
      expect(fast(input)).toStrictEqual(schema.parse(input));
    }
  });

  it('leaves non-objects to zod', () => {
    for (const input of [null, [], 'cart', 1, true]) expect(fast(input)).toBeUndefined();
  });
});
