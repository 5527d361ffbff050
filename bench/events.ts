import { CATALOG } from '../shared/catalog.ts';
import type { CartEvent } from '../shared/cart-event.ts';
import { utcTimestampMicros } from '../shared/clock.ts';

/**
 * Synthetic carts, the same for a given (seed, index): the topic pre-fill and the COPY ceiling
 * write the same rows without holding a million of them in memory. Event ids are UUIDv7s, as the
 * shop's page (web/tracker.js) and the collector make them: time-ordered, random within a millisecond.
 */

/** murmur3's 32-bit finaliser: a cheap, well-mixed hash of an integer. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** A UUIDv7 for the millisecond `ms`, its random digits derived from (seed, i). */
export function eventIdFor(seed: number, i: number, ms: number): string {
  const time = Math.floor(ms).toString(16).padStart(12, '0');
  const b = hex8(mix(seed ^ mix(i * 4 + 2)));
  const c = hex8(mix(seed ^ mix(i * 4 + 3)));
  const d = hex8(mix(seed ^ mix(i * 4 + 4)));
  const variant = '89ab'[parseInt(c[0]!, 16) & 3];
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

const pick = <T>(list: readonly T[], n: number): T => list[n % list.length]!;
const USERNAMES = 5000;

/** The shop's form fields for cart i (what the browser posts, without an eventId). */
export function cartRequestFor(i: number) {
  const h = mix(i + 0x9e3779b9);
  return {
    username: `shopper-${h % USERNAMES}`,
    category: pick(CATALOG.category, h >>> 3),
    gender: pick(CATALOG.gender, h >>> 7),
    style: pick(CATALOG.style, h >>> 11),
    size: pick(CATALOG.size, h >>> 15),
    hexColor: `#${hex8(mix(h)).slice(0, 6)}`,
  };
}

/** Cart i as the collector writes it to the topic; createdAt steps by one microsecond from `baseMs`. */
export function cartEventFor(seed: number, i: number, baseMs: number): CartEvent {
  const at = baseMs + i / 1000;
  return {
    type: 'add_to_cart',
    eventId: eventIdFor(seed, i, at),
    createdAt: utcTimestampMicros(at),
    ...cartRequestFor(i),
  };
}
