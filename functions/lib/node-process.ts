import process from 'node:process';
import pino from 'pino';
import { ConfigError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';

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
