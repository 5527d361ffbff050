import type { BatchHandler, IncomingMessage } from '../../shared/broker-port.ts';
import { isRetriable } from '../../shared/errors.ts';
import { type Logger, silentLogger } from '../../shared/logger.ts';
import type { CartRow, InsertResult } from '../../db/insert-carts.ts';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, sleep } from '../lib/backoff.ts';
import type { DeadLetter } from './dead-letter.ts';
import { decodeCart } from './decode-cart.ts';

type SourcedRow = CartRow & { readonly source: IncomingMessage };

export interface SinkDeps {
  /** Inserts rows idempotently; throws a RetriableError when the database is unreachable. */
  readonly insertCarts: (rows: readonly CartRow[]) => Promise<InsertResult>;
  /** Writes dead letters durably; throws a RetriableError when the broker is unreachable. */
  readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>;
  readonly logger?: Logger;
  readonly backoff?: BackoffPolicy;
  /** Called with true when an outage starts and false when it ends, for readiness and metrics. */
  readonly onOutage?: (down: boolean, error?: Error) => void;
  readonly onLanded?: (stats: { consumed: number; inserted: number; duplicates: number; deadLettered: number }) => void;
}

/**
 * Lands one batch: valid carts in one insert, the rest as dead letters. Retriable failures are
 * retried with capped backoff until they succeed or the consumer closes; the batch resolves only
 * when everything in it is durable, so its offsets are committed only then.
 */
export function createBatchHandler(deps: SinkDeps): BatchHandler {
  const logger = deps.logger ?? silentLogger;

  async function untilDone<T>(what: string, work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await work();
        if (attempt > 0) deps.onOutage?.(false);
        return result;
      } catch (error) {
        if (!isRetriable(error) || signal.aborted) throw error;
        if (attempt === 0) deps.onOutage?.(true, error);
        const delay = backoffDelay(attempt, deps.backoff ?? DEFAULT_BACKOFF);
        logger.warn({ err: error.message, attempt, delayMs: delay }, `${what} failed, retrying`);
        await sleep(delay, signal);
      }
    }
  }

  /** A batch the database refused as data (not as an outage): find the rows it refuses, one at a time. */
  async function isolateRefusedRows(rows: readonly SourcedRow[], signal: AbortSignal) {
    const refused: DeadLetter[] = [];
    let inserted = 0;
    for (const row of rows) {
      try {
        inserted += (await untilDone('insert row', () => deps.insertCarts([row]), signal)).inserted;
      } catch (error) {
        if (isRetriable(error)) throw error;
        refused.push({ message: row.source, reason: `database refused: ${(error as Error).message}` });
      }
    }
    return { inserted, refused };
  }

  return async (batch: readonly IncomingMessage[], { signal }) => {
    const rows: SourcedRow[] = [];
    const letters: DeadLetter[] = [];
    for (const message of batch) {
      const decoded = decodeCart(message);
      if (decoded.ok) rows.push({ event: decoded.event, partition: message.partition, offset: message.offset, source: message });
      else letters.push({ message, reason: decoded.reason });
    }

    let inserted = 0;
    let refused = 0;
    try {
      inserted = (await untilDone('insert batch', () => deps.insertCarts(rows), signal)).inserted;
    } catch (error) {
      if (isRetriable(error)) throw error;
      logger.warn({ err: (error as Error).message, rows: rows.length }, 'batch refused by the database, isolating rows');
      const isolated = await isolateRefusedRows(rows, signal);
      inserted = isolated.inserted;
      refused = isolated.refused.length;
      letters.push(...isolated.refused);
    }

    if (letters.length > 0) {
      await untilDone('dead-letter', () => deps.deadLetter(letters), signal);
      logger.warn({ count: letters.length, first: letters[0]!.reason }, 'messages dead-lettered');
    }
    deps.onLanded?.({
      consumed: batch.length,
      inserted,
      duplicates: rows.length - refused - inserted,
      deadLettered: letters.length,
    });
  };
}
