import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { BrokerProducer } from '../../shared/broker-port.ts';
import { cartRequestSchema, describeIssues, type CartEvent } from '../../shared/cart-event.ts';
import { utcTimestampMicros } from '../../shared/clock.ts';
import { BrokerUnavailableError } from '../../shared/errors.ts';
import type { Topics } from '../../shared/topics.ts';
import { withDeadline } from '../lib/deadline.ts';
import { errorHandler, httpError } from '../lib/errors.ts';
import { mountHealth } from '../lib/readiness.ts';
import { type Logger, silentLogger } from '../../shared/logger.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export interface CollectorDeps {
  readonly producer: BrokerProducer;
  readonly topics: Topics;
  /** Longest a request waits for the broker's acknowledgement before answering 503. */
  readonly produceTimeoutMs: number;
  readonly corsOrigins?: readonly string[];
  readonly logger?: Logger;
  readonly now?: () => string;
  readonly newEventId?: () => string;
}

export function createApp(deps: CollectorDeps): Hono {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? (() => utcTimestampMicros());
  const newEventId = deps.newEventId ?? (() => crypto.randomUUID());
  const app = new Hono();
  app.onError(errorHandler(logger));

  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    app.use('/api/*', cors({ origin: [...deps.corsOrigins], allowMethods: ['POST'], maxAge: 600 }));
  }

  mountHealth(app, { broker: () => deps.producer.health() });

  app.post(
    '/api/cart',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw httpError(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
      },
    }),
    async (c) => {
      const contentType = c.req.header('content-type') ?? '';
      if (!/^application\/json\s*(;|$)/i.test(contentType)) {
        throw httpError(415, { error: 'content-type must be application/json' });
      }
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        throw httpError(400, { error: 'body is not valid JSON' });
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw httpError(400, { error: 'body must be a JSON object' });
      }
      const parsed = cartRequestSchema.safeParse(body);
      if (!parsed.success) {
        throw httpError(400, { error: 'invalid cart', fields: describeIssues(parsed.error) });
      }
      const { eventId = newEventId(), ...selection } = parsed.data;
      const event: CartEvent = { type: 'add_to_cart', eventId, createdAt: now(), ...selection };
      await withDeadline(
        deps.producer.produce(deps.topics.events, [{ key: event.username, value: JSON.stringify(event) }]),
        deps.produceTimeoutMs,
        () => new BrokerUnavailableError(`broker did not acknowledge within ${deps.produceTimeoutMs} ms`),
      );
      return c.json({ eventId }, 202);
    },
  );

  return app;
}
