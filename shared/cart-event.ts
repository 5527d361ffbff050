import { z } from 'zod';
import { CATALOG, COLUMN_LIMITS, type CatalogOption } from './catalog.ts';

export const CONTROL_CHARACTER = /\p{Cc}/u;
/**
 * The invisible marks that change the order text is shown in (bidi overrides, embeddings, isolates
 * and marks): with U+202E a username shows backwards on the dashboard and in logs. Other format
 * characters stay allowed, such as the zero-width joiner inside emoji like 👩‍💻.
 */
export const TEXT_DIRECTION_MARK = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const HEX_COLOR = /^#[0-9a-f]{6}$/i;
export const TIMESTAMP_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const codePoints = (text: string): number => [...text].length;

/** Rejects shapes-right-but-impossible times such as Feb 30 or 25:61, which Postgres would refuse. */
export const isRealInstant = (text: string): boolean =>
  TIMESTAMP_MICROS.test(text) ? isRealMicrosTimestamp(text) : isRealByDate(text);

/** What JavaScript's Date makes of the text, read back: the reference the arithmetic below must match. */
export const isRealByDate = (text: string): boolean => {
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 23) === text.slice(0, 23);
};

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digits = (text: string, at: number, count: number): number => {
  let value = 0;
  for (let i = at; i < at + count; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
};

/**
 * The same verdict as isRealByDate for text already known to match TIMESTAMP_MICROS, by arithmetic
 * on the proleptic Gregorian calendar: a Date and its ISO string per row were a twentieth of the
 * consumer's CPU.
 */
export function isRealMicrosTimestamp(text: string): boolean {
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  return day <= daysInMonth && digits(text, 11, 2) <= 23 && digits(text, 14, 2) <= 59 && digits(text, 17, 2) <= 59;
}

/** Username rules: 1..32 characters after trimming, well-formed Unicode, no control characters. */
export const username = z
  .string({ error: 'must be a string' })
  .trim()
  .refine((s) => s.length > 0, 'must not be empty')
  .refine((s) => codePoints(s) <= COLUMN_LIMITS.username, `must be at most ${COLUMN_LIMITS.username} characters`)
  .refine((s) => s.isWellFormed(), 'must be well-formed Unicode')
  .refine((s) => !CONTROL_CHARACTER.test(s), 'must not contain control characters');

/**
 * What a shopper may send as a username: the rules above, and no text-direction marks. Checked
 * where input arrives (the collector), not on the topic: an event an older collector accepted
 * still lands instead of being dead-lettered.
 */
export const typedUsername = username.refine((s) => !TEXT_DIRECTION_MARK.test(s), 'must not contain text-direction marks');

export const catalogValue = (option: CatalogOption) =>
  z
    .string({ error: 'must be a string or null' })
    .refine((value) => (CATALOG[option] as readonly string[]).includes(value), {
      message: `must be one of: ${CATALOG[option].join(', ')}`,
    })
    .nullish()
    .transform((value) => value ?? null);

export const hexColor = z
  .string({ error: 'must be a string or null' })
  .regex(HEX_COLOR, 'must be a colour like #1a2b3c')
  .transform((value) => value.toLowerCase())
  .nullish()
  .transform((value) => value ?? null);

/** The seed's five options, each optional; shared with the tracker's add_to_cart and option_selected events. */
export const selection = {
  category: catalogValue('category'),
  gender: catalogValue('gender'),
  style: catalogValue('style'),
  size: catalogValue('size'),
  hexColor,
};

/** What a browser posts to `POST /api/cart`. A client may bring its own eventId to make retries idempotent. */
export const cartRequestSchema = z.strictObject({
  eventId: z.uuid({ error: 'must be a UUID' }).optional(),
  username: typedUsername,
  ...selection,
});
export type CartRequest = z.output<typeof cartRequestSchema>;

/** The message on the events topic: one "Add to cart" with its identity and creation time. */
export const cartEventSchema = z.strictObject({
  type: z.literal('add_to_cart'),
  eventId: z.uuid(),
  createdAt: z
    .string()
    .regex(TIMESTAMP_MICROS, 'must be a UTC timestamp with microseconds')
    .refine(isRealInstant, 'must be a real date and time'),
  username,
  ...selection,
});
export type CartEvent = z.output<typeof cartEventSchema>;

/** `{ field: reason }` for each bad field, for 400 bodies and dead-letter headers alike. */
export function describeIssues(error: z.ZodError): Record<string, string> {
  // A Map, then fromEntries: a client's key "__proto__" becomes a field like any other, not a prototype.
  const fields = new Map<string, string>();
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields.set(key, 'is not a known field');
      continue;
    }
    const path = issue.path.length > 0 ? issue.path.join('.') : '(body)';
    if (!fields.has(path)) fields.set(path, issue.message);
  }
  return Object.fromEntries(fields);
}
