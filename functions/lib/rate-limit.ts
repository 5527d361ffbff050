import type { Context, MiddlewareHandler } from 'hono';
import { rateLimiter, type RateLimitInfo } from 'hono-rate-limiter';
import type { ClientKey } from './client-key.ts';

/** The limits count requests per client over this window. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/**
 * At most `perMinute` requests per client (as `clientKey` tells them apart), then
 * `429 {error, retryAfterSeconds}` with Retry-After and the draft-6 RateLimit headers.
 * `what` names the requests in the error ("carts", "tracker batches"); `onLimited` lets a route count it.
 */
export function limitPerClient(options: {
  readonly perMinute: number;
  readonly clientKey: ClientKey;
  readonly what: string;
  readonly onLimited?: (c: Context) => void;
}): MiddlewareHandler {
  return rateLimiter({
    windowMs: RATE_LIMIT_WINDOW_MS,
    limit: options.perMinute,
    keyGenerator: options.clientKey,
    standardHeaders: 'draft-6',
    handler: (c: Context) => {
      const info = c.get('rateLimit') as RateLimitInfo | undefined;
      const resetMs = info?.resetTime ? info.resetTime.getTime() - Date.now() : RATE_LIMIT_WINDOW_MS;
      const retryAfter = Math.max(1, Math.ceil(resetMs / 1000));
      options.onLimited?.(c);
      c.header('Retry-After', String(retryAfter));
      return c.json(
        { error: `too many ${options.what} from this client: at most ${options.perMinute} a minute`, retryAfterSeconds: retryAfter },
        429,
      );
    },
  });
}
