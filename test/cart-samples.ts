import { CATALOG } from '../shared/catalog.ts';

/**
 * Generated carts for the tests that hold a fast path to what zod returns (shared/cart-fast-path.test.ts,
 * shared/cart-text-fast-path.test.ts): mostly near-valid, so both verdicts come up often.
 */

/** A small seeded generator (mulberry32), so a failure names the case that broke. */
export function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
/** Mostly one of the first `valid` items (good values), otherwise any: most carts are near-valid. */
const mostly = <T>(next: () => number, items: readonly T[], valid: number): T =>
  next() < 0.85 ? items[Math.floor(next() * valid)]! : pick(next, items);

const USERNAMES = [
  'ana', 'Zoë', '李雷', 'x'.repeat(32), 'x'.repeat(33), '😀'.repeat(16), '😀'.repeat(17), ' ana', 'ana ', '\u00a0ana',
  '', ' ', 'a\u0000b', 'a\nb', 'a\u202eb', '\ud800', 'Robert"); DROP TABLE', '<b>x</b>', 42, null, undefined, ['ana'],
];
const UUIDS = [
  '0190a5b4-7c1e-7d3a-9f00-1234567890ab', '0190A5B4-7C1E-7D3A-9F00-1234567890AB', '6f1c1c4e-1b6e-4c9a-8b5e-3c2d1e0f9a8b',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '0190a5b4-7c1e-9d3a-9f00-1234567890ab',
  '0190a5b4-7c1e-7d3a-cf00-1234567890ab', 'not-a-uuid', '', 7, null, undefined,
];
const TIMES = [
  '2026-11-28T04:05:06.123456Z', '2024-02-29T23:59:59.999999Z', '2026-02-30T00:00:00.000000Z', '2026-11-28T24:00:00.000000Z',
  '2026-11-28T04:05:06.123Z', '2026-11-28 04:05:06.123456Z', '2026-11-28T04:05:06.123456+00:00', '+02026-11-28T04:05:06.123456Z', 0, null, undefined,
];
const HEXES = ['#1a2b3c', '#1A2B3C', '#abc', '1a2b3c', '#1a2b3g', '', null, undefined, 0x1a2b3c];
const optionValues = (values: readonly string[]) => [...values, values[0]!.toLowerCase(), ` ${values[0]}`, '', 'Other', null, undefined, 1];

export function cartLike(next: () => number, withEventFields: boolean): Record<string, unknown> {
  const value: Record<string, unknown> = {
    username: mostly(next, USERNAMES, 4),
    category: mostly(next, optionValues(CATALOG.category), CATALOG.category.length),
    gender: mostly(next, optionValues(CATALOG.gender), CATALOG.gender.length),
    style: mostly(next, optionValues(CATALOG.style), CATALOG.style.length),
    size: mostly(next, optionValues(CATALOG.size), CATALOG.size.length),
    hexColor: mostly(next, HEXES, 1),
  };
  if (withEventFields || next() < 0.5) value.eventId = mostly(next, UUIDS, 3);
  if (withEventFields) {
    value.type = mostly(next, ['add_to_cart', 'page_view', undefined], 1);
    value.createdAt = mostly(next, TIMES, 2);
  }
  for (const key of Object.keys(value)) if (value[key] === undefined && next() < 0.5) delete value[key];
  if (next() < 0.05) value.extra = 1;
  if (next() < 0.02) Object.defineProperty(value, '__proto__', { value: {}, enumerable: true });
  return value;
}

/** Canonical values only: what the shop and the collector send. The fast path must take all of these. */
export function canonical(next: () => number, withEventFields: boolean): Record<string, unknown> {
  return {
    ...(withEventFields ? { type: 'add_to_cart', createdAt: '2026-11-28T04:05:06.123456Z' } : {}),
    eventId: '0190a5b4-7c1e-7d3a-9f00-1234567890ab',
    username: pick(next, ['ana', 'Zoë', '李雷', 'x'.repeat(32)]),
    category: pick(next, [...CATALOG.category, null]),
    gender: pick(next, [...CATALOG.gender, null]),
    style: pick(next, [...CATALOG.style, null]),
    size: pick(next, [...CATALOG.size, null]),
    hexColor: pick(next, ['#1a2b3c', null]),
  };
}
