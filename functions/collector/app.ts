import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { BrokerProducer } from '../../shared/broker-port.ts';
import { utcTimestampMicros } from '../../shared/clock.ts';
import { type Logger, silentLogger } from '../../shared/logger.ts';
import type { Topics } from '../../shared/topics.ts';
import { uuidv7 } from '../../shared/uuidv7.ts';
import type { ClientAddress, ClientKey } from '../lib/client-key.ts';
import { errorHandler } from '../lib/errors.ts';
import { type CollectorMetrics, createCollectorMetrics, mountMetrics } from '../lib/metrics.ts';
import { limitPerClient } from '../lib/rate-limit.ts';
import { mountHealth } from '../lib/readiness.ts';
import { secureJson } from '../lib/secure-json.ts';
import { createCartHandler } from './cart-route.ts';
import { createEventsRoute } from './events-route.ts';

export interface CollectorDeps {
  readonly producer: BrokerProducer;
  readonly topics: Topics;
  /** Longest a request waits for the broker's acknowledgement before answering 503. */
  readonly produceTimeoutMs: number;
  readonly corsOrigins?: readonly string[];
  /** The ledger served on `GET /metrics`; a fresh one when not given. */
  readonly metrics?: CollectorMetrics;
  /** Carts one client may post per minute; 0 or unset turns the limit off. */
  readonly rateLimitPerMinute?: number;
  /** Tracker batches (`POST /api/events`) one client may post per minute; 0 or unset turns the limit off. */
  readonly eventsRateLimitPerMinute?: number;
  /** Names the client a request comes from; required when the rate limit is on. */
  readonly clientKey?: ClientKey;
  /** The client's address, kept truncated on tracked events (`POST /api/events`); unknown when not given. */
  readonly clientAddress?: ClientAddress;
  readonly logger?: Logger;
  readonly now?: () => string;
  readonly newEventId?: () => string;
}

export function createApp(deps: CollectorDeps): Hono {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? (() => utcTimestampMicros());
  const newEventId = deps.newEventId ?? (() => uuidv7());
  const metrics = deps.metrics ?? createCollectorMetrics();
  const rateLimit = deps.rateLimitPerMinute ?? 0;
  if (rateLimit > 0 && !deps.clientKey) {
    throw new Error('a rate limit needs clientKey: the entry must say how to tell clients apart');
  }
  const corsOn = (deps.corsOrigins?.length ?? 0) > 0;

  // nosniff, no framing, no referrer, HSTS... CSP is left to the shop's page; these answers are JSON.
  // A cross-origin shop may read the answers only if the resource policy allows it.
  const secure = secureJson(corsOn ? 'cross-origin' : 'same-origin');
  const onError = errorHandler(logger);
  const app = new Hono();
  app.onError((error, c) => secure.secure(onError(error, c)));

  if (corsOn) {
    app.use(
      '/api/*',
      cors({
        origin: [...deps.corsOrigins!],
        allowMethods: ['POST'],
        allowHeaders: ['Content-Type'],
        exposeHeaders: ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'],
        maxAge: 600,
      }),
    );
  }

  const acceptCart = createCartHandler({
    producer: deps.producer,
    topic: deps.topics.events,
    produceTimeoutMs: deps.produceTimeoutMs,
    metrics,
    now,
    newEventId,
    accepted: (body) => secure.json(body, 202),
  });
  // A limit's 429 needs the security headers too, so with a limit the middleware runs for carts as well.
  if (rateLimit > 0) {
    app.post(
      '/api/cart',
      secure.middleware,
      limitPerClient({
        perMinute: rateLimit,
        clientKey: deps.clientKey!,
        what: 'carts',
        onLimited: () => {
          metrics.received.inc();
          metrics.rejected.inc({ reason: 'rate_limited' });
        },
      }),
    );
  }
  // Registered before the security middleware, which hono then never reaches for this route: the cart
  // handler builds its 202 with the headers, and app.onError puts them on its refusals.
  app.post('/api/cart', acceptCart);

  app.use(secure.middleware);
  mountHealth(app, { broker: () => deps.producer.health() });
  mountMetrics(app, metrics.registry);

  // The browser tracker's batches, in a sub-app of their own (functions/collector/events-route.ts).
  app.route(
    '/',
    createEventsRoute({
      producer: deps.producer,
      topic: deps.topics.tracked,
      produceTimeoutMs: deps.produceTimeoutMs,
      metrics,
      clientAddress: deps.clientAddress,
      rateLimitPerMinute: deps.eventsRateLimitPerMinute,
      clientKey: deps.clientKey,
      logger,
    }),
  );

  return app;
}
