import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { BrokerUnavailableError, DatabaseUnavailableError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';

/** A 4xx/5xx with a JSON body; the single error type handlers throw. */
export function httpError(
  status: 400 | 413 | 415 | 429 | 503,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return new HTTPException(status, {
    res: new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    }),
  });
}

/** One `onError` for every function: known errors become their response, the rest a logged 500. */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context): Response => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof BrokerUnavailableError || error instanceof DatabaseUnavailableError) {
      logger.warn({ err: error.message }, 'dependency unavailable');
      c.header('Retry-After', '1');
      return c.json({ error: 'service unavailable, try again shortly', reason: error.message }, 503);
    }
    logger.error({ err: error }, 'unhandled error');
    return c.json({ error: 'internal error' }, 500);
  };
}
