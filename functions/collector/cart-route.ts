import type { Context } from 'hono';
import type { BrokerProducer } from '../../shared/broker-port.ts';
import { cartRequestSchema, describeIssues, type CartEvent, type CartRequest } from '../../shared/cart-event.ts';
import { fastCartRequest } from '../../shared/cart-fast-path.ts';
import { BrokerUnavailableError } from '../../shared/errors.ts';
import { FixedDeadlines } from '../../shared/fixed-deadlines.ts';
import { httpError } from '../lib/errors.ts';
import type { CollectorMetrics, RejectReason } from '../lib/metrics.ts';
import { secondsSince } from '../lib/metrics.ts';
import { hasReplacementCharacter, kindOf, readCappedText } from '../lib/read-body.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export interface CartRouteDeps {
  readonly producer: BrokerProducer;
  /** The events topic. */
  readonly topic: string;
  /** Longest a request waits for the broker's acknowledgement before answering 503. */
  readonly produceTimeoutMs: number;
  readonly metrics: CollectorMetrics;
  readonly now: () => string;
  readonly newEventId: () => string;
  /** The 202 answer, security headers included. */
  readonly accepted: (body: { eventId: string }) => Response;
}

const CONTENT_TYPE_JSON = /^application\/json\s*(;|$)/i;

/**
 * `POST /api/cart` as one handler, the ledger included: every request is received once, then
 * acknowledged or rejected once. Refusals are thrown (app.onError answers them) and counted where
 * they are thrown; anything else thrown is counted by its type. The ledger and the headers used to
 * be middlewares that each awaited next(); now nothing runs around the handler (bench/LEVERS.md
 * says what that saved). hono still composes the route with the security middleware that
 * app.ts registers after it for every path, but never reaches it: the handler answers without next().
 */
export function createCartHandler(deps: CartRouteDeps): (c: Context) => Promise<Response> {
  const { producer, topic, metrics, now, newEventId } = deps;
  const deadlines = new FixedDeadlines(deps.produceTimeoutMs);
  const unacknowledged = () => new BrokerUnavailableError(`broker did not acknowledge within ${deps.produceTimeoutMs} ms`);
  // Refusals, with why: the status alone cannot tell a bad JSON text from an invalid cart.
  const reasons = new WeakMap<Error, RejectReason>();
  const refuse = (reason: RejectReason, status: 400 | 413 | 415, body: Record<string, unknown>): Error => {
    const error = httpError(status, body);
    reasons.set(error, reason);
    return error;
  };
  const reasonOf = (error: unknown): RejectReason =>
    (error instanceof Error && reasons.get(error)) || (error instanceof BrokerUnavailableError ? 'broker_unavailable' : 'internal_error');

  const onAcknowledged = (started: number) => () => {
    metrics.produceSeconds.observe(secondsSince(started));
    metrics.produced.inc();
  };
  const onFailed = (started: number) => (error: unknown) => {
    metrics.produceSeconds.observe(secondsSince(started));
    throw error;
  };

  return async (c) => {
    metrics.received.inc();
    try {
      if (!CONTENT_TYPE_JSON.test(c.req.header('content-type') ?? '')) {
        throw refuse('content_type', 415, { error: 'content-type must be application/json' });
      }
      const text = await readCappedText(c.req.raw, MAX_BODY_BYTES);
      if (text === null) throw refuse('too_large', 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
      if (hasReplacementCharacter(text)) {
        throw refuse('bad_json', 400, { error: 'body is not valid UTF-8 (or holds U+FFFD unescaped)' });
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw refuse('bad_json', 400, { error: 'body is not valid JSON' });
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw refuse('invalid', 400, { error: `body must be a JSON object, not ${kindOf(body)}` });
      }
      let cart: CartRequest | undefined = fastCartRequest(body);
      if (!cart) {
        const parsed = cartRequestSchema.safeParse(body);
        if (!parsed.success) throw refuse('invalid', 400, { error: 'invalid cart', fields: describeIssues(parsed.error) });
        cart = parsed.data;
      }
      // Field by field: object rest and spread cost 1.5–2.4 µs per cart, this 0.1 µs (micro-benchmark).
      const event: CartEvent = {
        type: 'add_to_cart',
        eventId: cart.eventId ?? newEventId(),
        createdAt: now(),
        username: cart.username,
        category: cart.category,
        gender: cart.gender,
        style: cart.style,
        size: cart.size,
        hexColor: cart.hexColor,
      };
      const started = performance.now();
      const produced = producer
        .produce(topic, [{ key: event.username, value: JSON.stringify(event) }])
        .then(onAcknowledged(started), onFailed(started));
      await deadlines.race(produced, unacknowledged);
      metrics.acknowledged.inc();
      return deps.accepted({ eventId: event.eventId });
    } catch (error) {
      metrics.rejected.inc({ reason: reasonOf(error) });
      throw error;
    }
  };
}
