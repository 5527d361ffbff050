import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { BrokerProducer, OutgoingMessage } from '../../shared/broker-port.ts';
import { describeIssues } from '../../shared/cart-event.ts';
import { utcTimestampMicros } from '../../shared/clock.ts';
import { withDeadline } from '../../shared/deadline.ts';
import { BrokerUnavailableError } from '../../shared/errors.ts';
import { type Logger, silentLogger } from '../../shared/logger.ts';
import {
  eventTimeMs,
  MAX_EVENTS_PER_BATCH,
  trackedBatchSchema,
  trackedEventSchema,
  type TrackedEventMessage,
} from '../../shared/tracked-event.ts';
import type { ClientAddress, ClientKey } from '../lib/client-key.ts';
import { limitPerClient } from '../lib/rate-limit.ts';
import { errorHandler, httpError } from '../lib/errors.ts';
import type { CollectorMetrics } from '../lib/metrics.ts';
import { hasReplacementCharacter, kindOf, readCappedText } from '../lib/read-body.ts';
import { truncateIp } from '../lib/truncate-ip.ts';

/** A batch from the tracker: at most MAX_EVENTS_PER_BATCH events and this many bytes. */
export const MAX_EVENTS_BODY_BYTES = 512 * 1024;
const MAX_USER_AGENT = 512;

export interface EventsRouteDeps {
  readonly producer: BrokerProducer;
  /** The tracked-events topic. */
  readonly topic: string;
  /** Longest a request waits for the broker's acknowledgement before answering 503. */
  readonly produceTimeoutMs: number;
  readonly metrics: CollectorMetrics;
  /** The client's address, which is stored only truncated (IPv4 /24, IPv6 /48); unknown when not given. */
  readonly clientAddress?: ClientAddress;
  /** Batches one client may post per minute (429 with Retry-After past it, which the tracker honours); 0 or unset: no limit. */
  readonly rateLimitPerMinute?: number;
  /** Tells clients apart; required when the rate limit is on. */
  readonly clientKey?: ClientKey;
  readonly logger?: Logger;
  /** The receive time, epoch milliseconds with a fraction (microseconds). */
  readonly nowMs?: () => number;
}

export interface RejectedEvent {
  /** Position in the batch's `events`. */
  readonly index: number;
  readonly eventId?: string;
  /** `{ field: reason }`, as the cart route names bad fields. */
  readonly reasons: Record<string, string>;
}

/** The answer to a batch (202, or 400 when nothing in it could be taken). */
export interface EventsAnswer {
  readonly accepted: string[];
  readonly rejected: RejectedEvent[];
}

const uuid = z.uuid();
const CONTROL_CHARACTERS = /\p{Cc}/gu;

/**
 * `POST /api/events`: a batch from the browser tracker. Each event is checked on its own, so a bad
 * one is refused with its reasons while the good ones go on. The good ones are stamped with the
 * receive time, their event time (client clock skew cancelled, never in the future), the client's
 * truncated address and user agent, and produced to the tracked-events topic keyed by anonymousId;
 * `202 {accepted, rejected}` comes only after the broker acknowledged every accepted event
 * (acks=all). The eventId is the events table's key, so a batch sent twice stores each event once.
 */
export function createEventsRoute(deps: EventsRouteDeps): Hono {
  const logger = deps.logger ?? silentLogger;
  const nowMs = deps.nowMs ?? (() => performance.timeOrigin + performance.now());
  const { metrics } = deps;
  const app = new Hono();
  app.onError(errorHandler(logger));

  const refuse = (status: 400 | 413 | 415, error: string, extra: Record<string, unknown> = {}) => {
    metrics.trackedRejected.inc({ reason: 'batch_refused' });
    return httpError(status, { error, ...extra });
  };

  const perMinute = deps.rateLimitPerMinute ?? 0;
  if (perMinute > 0) {
    if (!deps.clientKey) throw new Error('a rate limit needs clientKey: the entry must say how to tell clients apart');
    app.use(
      '/api/events',
      limitPerClient({
        perMinute,
        clientKey: deps.clientKey,
        what: 'tracker batches',
        onLimited: () => metrics.trackedRejected.inc({ reason: 'rate_limited' }),
      }),
    );
  }

  app.post('/api/events', async (c: Context) => {
    // text/plain too: navigator.sendBeacon() sends a string body as text/plain.
    const contentType = c.req.header('content-type') ?? '';
    if (!/^(application\/json|text\/plain)\s*(;|$)/i.test(contentType)) {
      throw refuse(415, 'content-type must be application/json');
    }
    const text = await readCappedText(c.req.raw, MAX_EVENTS_BODY_BYTES);
    if (text === null) throw refuse(413, `body larger than ${MAX_EVENTS_BODY_BYTES} bytes`);

    const notUtf8Json = () => refuse(400, 'body is not valid UTF-8 JSON');
    if (hasReplacementCharacter(text)) throw notUtf8Json();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw notUtf8Json();
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw refuse(400, `body must be a JSON object {"events": [...]}, not ${kindOf(body)}`);
    }
    const events = (body as { events?: unknown }).events;
    if (Array.isArray(events) && events.length > MAX_EVENTS_PER_BATCH) {
      throw refuse(413, `at most ${MAX_EVENTS_PER_BATCH} events in one batch`);
    }
    const batch = trackedBatchSchema.safeParse(body);
    if (!batch.success) throw refuse(400, 'invalid batch', { fields: describeIssues(batch.error) });

    const receivedMs = nowMs();
    const receivedAt = utcTimestampMicros(receivedMs);
    const ipTruncated = truncateIp(deps.clientAddress?.(c));
    const userAgent = c.req.header('user-agent')?.replace(CONTROL_CHARACTERS, '').slice(0, MAX_USER_AGENT) || null;

    metrics.trackedReceived.inc(batch.data.events.length);
    if (batch.data.dropped) metrics.trackerDropped.inc(batch.data.dropped);

    // One message per eventId: a batch that repeats an event (a tracker bug, or two tabs) produces it once.
    const messages = new Map<string, TrackedEventMessage>();
    const rejected: RejectedEvent[] = [];
    batch.data.events.forEach((raw, index) => {
      const parsed = trackedEventSchema.safeParse(raw);
      if (parsed.success) {
        const event = parsed.data;
        const occurredAt = utcTimestampMicros(eventTimeMs(receivedMs, event.createdAt, event.sentAt));
        if (!messages.has(event.eventId)) {
          messages.set(event.eventId, { ...event, receivedAt, occurredAt, ipTruncated, userAgent });
        }
        return;
      }
      const claimedId = (raw as { eventId?: unknown } | null)?.eventId;
      rejected.push({
        index,
        ...(uuid.safeParse(claimedId).success ? { eventId: claimedId as string } : {}),
        reasons: describeIssues(parsed.error),
      });
    });
    if (rejected.length > 0) metrics.trackedRejected.inc({ reason: 'invalid' }, rejected.length);

    const accepted = [...messages.keys()];
    if (accepted.length === 0) return c.json({ accepted, rejected } satisfies EventsAnswer, 400);

    const outgoing: OutgoingMessage[] = [...messages.values()].map((message) => ({
      key: message.anonymousId,
      value: JSON.stringify(message),
    }));
    try {
      await withDeadline(
        deps.producer.produce(deps.topic, outgoing),
        deps.produceTimeoutMs,
        () => new BrokerUnavailableError(`broker did not acknowledge within ${deps.produceTimeoutMs} ms`),
      );
    } catch (error) {
      metrics.trackedRejected.inc({ reason: 'broker_unavailable' }, accepted.length);
      throw error;
    }
    metrics.trackedAccepted.inc(accepted.length);
    return c.json({ accepted, rejected } satisfies EventsAnswer, 202);
  });

  return app;
}
