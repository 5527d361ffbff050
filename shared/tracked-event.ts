import { z } from 'zod';
import { catalogValue, hexColor, selection, TIMESTAMP_MICROS, typedUsername, username } from './cart-event.ts';

/**
 * What the browser tracker (web/tracker.js) sends to `POST /api/events`, and what the collector
 * puts on the tracked-events topic. The tracker is plain JavaScript and cannot import this module,
 * so its field names are kept identical by hand and checked by web/tracker.test.ts, which runs a
 * tracker-made batch through these schemas.
 */

export const TRACKED_EVENT_TYPES = ['page_view', 'option_selected', 'add_to_cart'] as const;
export type TrackedEventType = (typeof TRACKED_EVENT_TYPES)[number];

/** The options a shopper can change; `option_selected` names one of them. */
export const TRACKED_OPTIONS = ['category', 'gender', 'style', 'size', 'hexColor'] as const;

/** At most this many events in one `POST /api/events`. */
export const MAX_EVENTS_PER_BATCH = 500;

const CONTROL_CHARACTER = /\p{Cc}/u;

/** Text that Postgres can store (no NUL) and that a log line cannot be forged with (no control characters). */
const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .max(max, `must be at most ${max} characters`)
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode')
    .refine((s) => !CONTROL_CHARACTER.test(s), 'must not contain control characters');

const optionalText = (max: number) =>
  text(max)
    .nullish()
    .transform((value) => value ?? null);

/** A client clock reading: an ISO 8601 UTC instant (`Date#toISOString()`), any sub-second precision. */
const clientInstant = z
  .iso.datetime({ error: 'must be an ISO 8601 UTC timestamp such as 2026-11-28T10:00:00.000Z' })
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a real date and time');

const serverInstant = z.string().regex(TIMESTAMP_MICROS, 'must be a UTC timestamp with microseconds');

const wholeNumber = (max: number) =>
  z
    .number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(max, `must be at most ${max}`);
const pixels = wholeNumber(100_000);

/** Fields every tracked event carries, whatever its type. */
const envelope = {
  /** UUIDv7 made by the tracker; the same across retries, and the events table's key. */
  eventId: z.uuid({ error: 'must be a UUID' }),
  /** First-party visitor id, kept in localStorage. */
  anonymousId: z.uuid({ error: 'must be a UUID' }),
  /** New after 30 minutes without an event. */
  sessionId: z.uuid({ error: 'must be a UUID' }),
  /** 0, 1, 2, … within the session, so a gap shows a lost event. */
  seq: wholeNumber(2_147_483_647),
  /** Set once the shopper typed a username; null before. */
  username: username.nullish().transform((value) => value ?? null),
  /** When the event happened, by the client's clock. */
  createdAt: clientInstant,
  /** When this attempt to send it started, by the same clock: `received - (sentAt - createdAt)` cancels clock skew. */
  sentAt: clientInstant,
  url: text(2048).refine((s) => s.length > 0, 'must not be empty'),
  referrer: optionalText(2048),
  utm: z
    .strictObject({
      source: optionalText(200),
      medium: optionalText(200),
      campaign: optionalText(200),
      term: optionalText(200),
      content: optionalText(200),
    })
    .nullish()
    .transform((value) => value ?? { source: null, medium: null, campaign: null, term: null, content: null }),
  viewport: z.strictObject({ width: pixels, height: pixels }).nullish().transform((value) => value ?? null),
};

const optionValue = {
  category: catalogValue('category'),
  gender: catalogValue('gender'),
  style: catalogValue('style'),
  size: catalogValue('size'),
  hexColor,
} as const;

const optionSelectedProperties = z
  .strictObject({
    option: z.enum(TRACKED_OPTIONS, { error: `must be one of: ${TRACKED_OPTIONS.join(', ')}` }),
    value: z.unknown(),
  })
  .transform((props, ctx) => {
    const parsed = optionValue[props.option].safeParse(props.value);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: parsed.error.issues[0]?.message ?? 'invalid value' });
      return z.NEVER;
    }
    return { option: props.option, value: parsed.data };
  });

const propertiesByType = {
  page_view: z.strictObject({ title: optionalText(300) }).nullish().transform((value) => value ?? { title: null }),
  option_selected: optionSelectedProperties,
  add_to_cart: z.strictObject(selection),
} as const;

/** Fields the collector adds when it takes an event in. */
const serverFields = {
  /** When the collector received the batch (UTC, microseconds). */
  receivedAt: serverInstant,
  /** Event time: `receivedAt - (sentAt - createdAt)`, never later than receivedAt. */
  occurredAt: serverInstant,
  /** The client's address cut to its network: IPv4 /24, IPv6 /48; null when unknown. */
  ipTruncated: z.string().max(64).nullable(),
  userAgent: z.string().max(512).nullable(),
};

function variants<Extra extends z.ZodRawShape>(extra: Extra) {
  const variant = <T extends TrackedEventType>(type: T) =>
    z.strictObject({ ...envelope, ...extra, type: z.literal(type), properties: propertiesByType[type] });
  return z.discriminatedUnion('type', [variant('page_view'), variant('option_selected'), variant('add_to_cart')], {
    error: (issue) =>
      issue.code === 'invalid_union' ? `type must be one of: ${TRACKED_EVENT_TYPES.join(', ')}` : undefined,
  });
}

/** One event as the tracker sends it: its username is held to the stricter rules for input. */
export const trackedEventSchema = variants({ username: typedUsername.nullish().transform((value) => value ?? null) });
export type TrackedEvent = z.output<typeof trackedEventSchema>;

/** One event as it travels on the tracked-events topic: the client's event plus what the collector knows. */
export const trackedEventMessageSchema = variants(serverFields);
export type TrackedEventMessage = z.output<typeof trackedEventMessageSchema>;

/**
 * The body of `POST /api/events`. Events are checked one by one (a bad one costs only itself), so
 * here they are only `unknown`s; `dropped` is how many events the tracker's full queue discarded
 * since its last acknowledged batch, so losses on the client show on the server.
 */
export const trackedBatchSchema = z.strictObject({
  events: z
    .array(z.unknown(), { error: 'must be an array of events' })
    .min(1, 'must hold at least one event')
    .max(MAX_EVENTS_PER_BATCH, `must hold at most ${MAX_EVENTS_PER_BATCH} events`),
  dropped: wholeNumber(1_000_000_000).optional(),
});

/**
 * Event time from the client's clock readings, without trusting the clock itself: the time the
 * event waited on the client (`sentAt - createdAt`, a difference on one clock) is taken from the
 * server's receive time. An event that claims to come from the future is clamped to `receivedMs`.
 */
export function eventTimeMs(receivedMs: number, createdAt: string, sentAt: string): number {
  const waited = Date.parse(sentAt) - Date.parse(createdAt);
  return Math.min(receivedMs, receivedMs - waited);
}
