import type { Context } from 'hono';
import pino from 'pino';
import type { Env } from '../../shared/config.ts';
import { ConfigError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { type ClientAddress, clientAddressOf, type ClientKey, clientKeyOf } from './client-key.ts';

// Just the slice of Deno's API used here, so that tsc (which has no Deno types) can check this file.
declare const Deno: {
  env: { toObject(): Record<string, string> };
  exit(code: number): never;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  unrefTimer(id: number): void;
};

/** Parses configuration from Deno's environment once; a bad variable ends the process with a message naming it. */
export function configOrExit<T>(parse: (env: Env) => T): T {
  try {
    return parse(Deno.env.toObject());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    Deno.exit(2);
  }
}

/** pino writes JSON lines to stdout under Deno as under Node. */
export function createLogger(level: string, name: string): Logger & pino.Logger {
  return pino({ level, name });
}

/** Runs `stop` once on SIGTERM or SIGINT; exits non-zero if it takes longer than `graceMs`. */
export function onShutdown(logger: Logger, stop: () => Promise<void>, graceMs = 10_000): void {
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long, exiting');
      Deno.exit(1);
    }, graceMs);
    Deno.unrefTimer(timer as unknown as number);
    stop().then(
      () => Deno.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        Deno.exit(1);
      },
    );
  };
  Deno.addSignalListener('SIGTERM', () => handle('SIGTERM'));
  Deno.addSignalListener('SIGINT', () => handle('SIGINT'));
}

/**
 * The client's key on Deno: the socket's address, which Deno.serve hands the handler as its second
 * argument and the entry passes on to `app.fetch` as Hono's env; X-Forwarded-For's last entry when `trustProxy`.
 */
export function denoClientKey(trustProxy: boolean): ClientKey {
  return (c: Context) => {
    const remote = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
    return clientKeyOf(remote?.hostname, c.req.header('x-forwarded-for'), trustProxy);
  };
}

/** The client's address on Deno (from the connection info passed as Hono's env), for tracked events. */
export function denoClientAddress(trustProxy: boolean): ClientAddress {
  return (c: Context) => {
    const remote = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
    return clientAddressOf(remote?.hostname, c.req.header('x-forwarded-for'), trustProxy);
  };
}
