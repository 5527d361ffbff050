import type { Server } from 'node:http';
import process from 'node:process';
import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import pino from 'pino';
import { ConfigError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { type ClientAddress, clientAddressOf, type ClientKey, clientKeyOf } from './client-key.ts';

/** Parses configuration once; a bad variable ends the process with a message naming it. */
export function configOrExit<T>(parse: (env: NodeJS.ProcessEnv) => T): T {
  try {
    return parse(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

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
      process.exit(1);
    }, graceMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
}

/** How long a Node HTTP server waits on a client; slow or silent clients are answered 408 and closed past these. */
export interface ServerTimeouts {
  /** From a request's first byte (or the connection's start) until its headers are complete: the slowloris bound. */
  readonly headersTimeoutMs: number;
  /** Until the whole request, body included, has arrived. */
  readonly requestTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open. Behind a load balancer that reuses
   * connections, set it above the balancer's idle timeout, or it will meet closed sockets.
   */
  readonly keepAliveTimeoutMs: number;
  /** How often the server looks for connections past the two timeouts above (Node's default is 30 s). */
  readonly checkIntervalMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};

/**
 * Bounds what slow clients can hold: headers within `headersTimeoutMs`, the whole request within
 * `requestTimeoutMs`, idle keep-alive within `keepAliveTimeoutMs`. Call it right after `serve()`,
 * before the server is listening, so that the checking interval applies.
 */
export function hardenServer<S extends ServerType>(server: S, timeouts: Partial<ServerTimeouts> = {}): S {
  const t = { ...SERVER_TIMEOUTS, ...timeouts };
  const http = server as unknown as Server;
  http.headersTimeout = t.headersTimeoutMs;
  http.requestTimeout = Math.max(t.requestTimeoutMs, t.headersTimeoutMs);
  http.keepAliveTimeout = t.keepAliveTimeoutMs;
  // Read when the server starts listening (Node 18+), so it holds when set synchronously after serve().
  (http as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = t.checkIntervalMs;
  return server;
}

/** `serve()` from @hono/node-server, hardened with `hardenServer`. */
export function serveHardened(
  options: { readonly fetch: Parameters<typeof serve>[0]['fetch']; readonly port: number; readonly hostname?: string },
  onListening?: Parameters<typeof serve>[1],
  timeouts: Partial<ServerTimeouts> = {},
): ServerType {
  const t = { ...SERVER_TIMEOUTS, ...timeouts };
  const server = serve(
    {
      fetch: options.fetch,
      port: options.port,
      hostname: options.hostname,
      serverOptions: {
        headersTimeout: t.headersTimeoutMs,
        requestTimeout: Math.max(t.requestTimeoutMs, t.headersTimeoutMs),
        keepAliveTimeout: t.keepAliveTimeoutMs,
        connectionsCheckingInterval: t.checkIntervalMs,
      },
    },
    onListening,
  );
  return hardenServer(server, t);
}

/** The client's key on Node: the socket's address, or X-Forwarded-For's last entry when `trustProxy`. */
export function nodeClientKey(trustProxy: boolean): ClientKey {
  return (c: Context) => clientKeyOf(getConnInfo(c).remote.address, c.req.header('x-forwarded-for'), trustProxy);
}

/** The client's address on Node, for the events route to truncate: the socket's, or X-Forwarded-For's last entry when `trustProxy`. */
export function nodeClientAddress(trustProxy: boolean): ClientAddress {
  return (c: Context) => {
    let socket: string | undefined;
    try {
      socket = getConnInfo(c).remote.address;
    } catch {
      socket = undefined; // app.request() in tests has no socket
    }
    return clientAddressOf(socket, c.req.header('x-forwarded-for'), trustProxy);
  };
}
