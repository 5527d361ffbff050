import { CATALOG, COLUMN_LIMITS } from './catalog.ts';
import {
  CONTROL_CHARACTER,
  isRealMicrosTimestamp,
  TEXT_DIRECTION_MARK,
  TIMESTAMP_MICROS,
  type CartEvent,
  type CartRequest,
} from './cart-event.ts';

/**
 * Hand-written checks for the common, canonical cart: what the shop and the collector produce.
 * Each function returns the same value the zod schema in cart-event.ts would, or undefined when the
 * input is anything else (invalid, or valid but needing a transform such as trimming or
 * lower-casing); the caller then asks zod, which stays the one source of verdicts and messages.
 * zod costs about 10 µs per cart here, a fifth of the consumer's CPU per row
 * (cart-fast-path.test.ts proves the two agree wherever this one answers).
 */

// Cases spelled out rather than by the i flag, so that cart-text-fast-path.ts can embed the sources.
export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;
export const HEX_COLOR_LOWER = /^#[0-9a-f]{6}$/;

const CATEGORY = new Set<unknown>(CATALOG.category);
const GENDER = new Set<unknown>(CATALOG.gender);
const STYLE = new Set<unknown>(CATALOG.style);
const SIZE = new Set<unknown>(CATALOG.size);

const REQUEST_KEYS = new Set(['eventId', 'username', 'category', 'gender', 'style', 'size', 'hexColor']);
const EVENT_KEYS = new Set(['type', 'eventId', 'createdAt', 'username', 'category', 'gender', 'style', 'size', 'hexColor']);

const MISS = Symbol('miss');
type Option = string | null | typeof MISS;

function option(value: unknown, allowed: Set<unknown>): Option {
  if (value === undefined || value === null) return null;
  return allowed.has(value) ? (value as string) : MISS;
}

function hexColor(value: unknown): Option {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' && HEX_COLOR_LOWER.test(value) ? value : MISS;
}

/** A username zod would return unchanged: no trimming, no counting of code points, nothing refused. */
export function isCanonicalUsername(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.trim() !== value) return false;
  // More UTF-16 units than the limit can still be few enough code points: let zod count those.
  if (value.length > COLUMN_LIMITS.username) return false;
  return value.isWellFormed() && !CONTROL_CHARACTER.test(value);
}

function onlyKeys(value: object, keys: Set<string>): boolean {
  for (const key in value) if (!keys.has(key)) return false;
  return true;
}

type Selection = Pick<CartEvent, 'category' | 'gender' | 'style' | 'size' | 'hexColor'>;

/** The five options as zod returns them (absent as null), or undefined when one needs zod. */
function selectionOf(value: Record<string, unknown>): Selection | undefined {
  const category = option(value.category, CATEGORY);
  const gender = option(value.gender, GENDER);
  const style = option(value.style, STYLE);
  const size = option(value.size, SIZE);
  const hex = hexColor(value.hexColor);
  if (category === MISS || gender === MISS || style === MISS || size === MISS || hex === MISS) return undefined;
  return { category, gender, style, size, hexColor: hex };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCanonicalTimestamp = (value: unknown): value is string =>
  typeof value === 'string' && TIMESTAMP_MICROS.test(value) && isRealMicrosTimestamp(value);

/** cartRequestSchema's output for a canonical request, or undefined: ask zod. */
export function fastCartRequest(value: unknown): CartRequest | undefined {
  if (!isObject(value) || !onlyKeys(value, REQUEST_KEYS)) return undefined;
  const { eventId, username } = value;
  if (eventId !== undefined && (typeof eventId !== 'string' || !UUID.test(eventId))) return undefined;
  if (!isCanonicalUsername(username) || TEXT_DIRECTION_MARK.test(username)) return undefined;
  const options = selectionOf(value);
  if (!options) return undefined;
  const selection = { username, ...options };
  // zod keeps a key that is present but undefined (impossible in JSON, possible in a test).
  return 'eventId' in value ? { eventId: eventId as string | undefined, ...selection } : selection;
}

/** cartEventSchema's output for a canonical event, or undefined: ask zod. */
export function fastCartEvent(value: unknown): CartEvent | undefined {
  if (!isObject(value) || !onlyKeys(value, EVENT_KEYS) || value.type !== 'add_to_cart') return undefined;
  const { eventId, createdAt, username } = value;
  if (typeof eventId !== 'string' || !UUID.test(eventId)) return undefined;
  if (!isCanonicalTimestamp(createdAt) || !isCanonicalUsername(username)) return undefined;
  const options = selectionOf(value);
  if (!options) return undefined;
  // Field by field, as the collector builds its event: the spread cost the consumer's per-message
  // path (decode, row, COPY line) about 0.15 µs of its 2.6–2.8 µs (micro-benchmark; bench/LEVERS.md).
  return {
    type: 'add_to_cart',
    eventId,
    createdAt,
    username,
    category: options.category,
    gender: options.gender,
    style: options.style,
    size: options.size,
    hexColor: options.hexColor,
  };
}
